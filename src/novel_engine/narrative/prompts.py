"""The one place prompts are built: each request carries its structured subject (which
the offline model answers from) and the prompt a remote model reads, made from the same
subject, so every model is told the same facts and nothing more."""

from __future__ import annotations

from novel_engine.domain.language import CallKey, JsonSchema, ModelRequest
from novel_engine.domain.scene import (
    Held,
    PersonaView,
    Scene,
    SceneAction,
    SceneCharacter,
    ViewpointScene,
)
from novel_engine.domain.session import ActionKind
from novel_engine.domain.story import QUALITY_CRITERIA
from novel_engine.domain.writing import Manuscript, StoryBrief
from novel_engine.narrative.reaction import INTENT_MAX

REACTION_SCHEMA: JsonSchema = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": ["DIALOGUE", "ACTION"]},
        "targetId": {"type": ["string", "null"]},
        "intent": {"type": "string", "minLength": 1, "maxLength": INTENT_MAX},
    },
    "required": ["kind", "targetId", "intent"],
    "additionalProperties": False,
}

# Six scores, each a number within 0..1; nothing else.
QUALITY_SCHEMA: JsonSchema = {
    "type": "object",
    "properties": {
        name: {"type": "number", "minimum": 0, "maximum": 1}
        for name in (*QUALITY_CRITERIA, "overall")
    },
    "required": [*QUALITY_CRITERIA, "overall"],
    "additionalProperties": False,
}

NARRATOR = (
    "You are the chronicler of a collaborative story. Write the turn below as prose: "
    "past tense, third person, two to four short paragraphs. Use only what happened: the "
    "names, places, outcomes and spoken lines given. Quote spoken lines word for word. "
    "Invent no new characters and no events beyond those listed. No headings, no lists."
)

VIEWPOINT_NARRATOR = (
    "You are the chronicler of a collaborative story. Write the turn below from the point "
    "of view of the character named as the viewpoint: close third person, past tense, two "
    "to four short paragraphs, in the style given. Tell only what that character perceived, "
    "which is all that is listed: the names, place, outcomes and spoken lines given. Quote "
    "spoken lines word for word. Invent no new characters and no events beyond those "
    "listed. No headings, no lists."
)

CONTINUE = "The prose written so far (continue it exactly where it stops; do not repeat it):"

PERSONA = (
    "You play one character in a collaborative story. Stay in character: answer from "
    "its personality, background and relationships, and from what it witnessed, nothing "
    "else. Reply with one JSON object: kind DIALOGUE (intent is the line it speaks) or "
    "ACTION (intent is what it does, as a short verb phrase), targetId the id of the "
    "character it addresses or acts on, or null."
)


STORYTELLER = (
    "You are a novelist. Write a complete story from the brief below: prose, past tense, "
    "in paragraphs separated by blank lines, about as many words as asked. Give it an "
    "inciting incident, rising action, a climax, falling action and a resolution. The "
    "characters listed are the main cast: use their names as written and stay true to "
    "their traits; minor figures may be added. No title, no headings, no lists."
)

ASSESSOR = (
    "You are an editor. Grade the story below on each criterion from 0 (worst) to 1 "
    "(best): coherence (events follow from one another, nothing contradicts), engagement "
    "(it holds attention: variety, dialogue, stakes), characterDevelopment (characters "
    "recur, want things and change), plotStructure (a beginning, a build, a climax and a "
    "resolution), languageQuality (clear, varied, correct prose), and overall. Reply with "
    "one JSON object holding these six numbers and nothing else."
)


def story_request(brief: StoryBrief, key: CallKey) -> ModelRequest:
    """The storyteller's request: the brief as given, and the length in words."""
    lines = [
        f"Title: {brief.title}",
        f"Genre: {brief.genre.value}. Tone: {brief.tone.value}.",
        f"Themes: {', '.join(brief.themes)}." if brief.themes else "",
        f"Length: about {brief.length.words} words.",
        "Characters:" if brief.cast else "No characters are given: create a small cast.",
        *(f"- {_portrait(c)}" for c in brief.cast),
        f"What the story is about: {brief.prompt}" if brief.prompt else "",
    ]
    return ModelRequest(
        system=STORYTELLER,
        prompt="\n".join(line for line in lines if line),
        key=key,
        temperature=0.9,
        # About four tokens for three words, and room to finish the last scene.
        max_tokens=brief.length.words * 2,
        subject=brief,
    )


def assessment_request(manuscript: Manuscript, key: CallKey) -> ModelRequest:
    """The editor's request: the story's text, to be graded as six numbers."""
    return ModelRequest(
        system=ASSESSOR,
        prompt=f"Title: {manuscript.title}\n\n{manuscript.text}",
        key=key,
        temperature=0.0,
        max_tokens=200,
        schema=QUALITY_SCHEMA,
        subject=manuscript,
    )


def narration_request(scene: Scene, key: CallKey, *, so_far: str = "") -> ModelRequest:
    """The chronicler's request for a turn. With `so_far` (text already streamed before a
    restart) the model is asked to continue it rather than start again."""
    return _telling(NARRATOR, _scene_lines(scene), scene, key, so_far)


def viewpoint_narration_request(
    view: ViewpointScene, key: CallKey, *, so_far: str = ""
) -> ModelRequest:
    """The chronicler's request for a turn told from one character's point of view: the
    scene holds only what that character perceived."""
    lines = [f"Viewpoint: {_portrait(view.viewpoint)}", *_scene_lines(view.scene)]
    return _telling(VIEWPOINT_NARRATOR, lines, view, key, so_far)


def _telling(
    system: str, lines: list[str], subject: Scene | ViewpointScene, key: CallKey, so_far: str
) -> ModelRequest:
    if so_far:
        lines = [*lines, CONTINUE, so_far]
    return ModelRequest(
        system=system,
        prompt="\n".join(line for line in lines if line),
        key=key,
        temperature=0.8,
        max_tokens=900,
        subject=subject,
    )


def _scene_lines(scene: Scene) -> list[str]:
    return [
        f"Genre: {scene.genre.value}. Tone: {scene.tone.value}.",
        f"Style: {scene.narration_style}" if scene.narration_style else "",
        f"Place: {scene.place}."
        + (f" Time: {scene.time_of_day}." if scene.time_of_day else "")
        + (f" Weather: {scene.weather}." if scene.weather else ""),
        f"Earlier: {scene.earlier}" if scene.earlier else "",
        "Characters present:",
        *(f"- {_portrait(c)}" for c in scene.characters),
        "What happened, in order:",
        *(f"{n}. {_told(scene, a)}" for n, a in enumerate(scene.actions, 1)),
    ]


def continued_from(prompt: str, fresh: ModelRequest) -> str | None:
    """The text so far a narration prompt carried, when `prompt` is the `fresh` request's
    prompt asking to continue it (a narration resumed after a restart); else None."""
    head = f"{fresh.prompt}\n{CONTINUE}\n"
    return prompt[len(head) :] if prompt.startswith(head) else None


def reaction_request(view: PersonaView, key: CallKey) -> ModelRequest:
    """A persona's request: its brief and what it witnessed this turn, never more."""
    scene, persona = view.scene, view.persona
    others = [c for c in scene.characters if c.id != persona.id]
    lines = [
        f"You are {_portrait(persona)}",
        f"Genre: {scene.genre.value}. Tone: {scene.tone.value}. You are at {scene.place}.",
        "Present with you:" if others else "No one else is here.",
        *(f"- {c.name} (id {c.id})" for c in others),
        *_section(
            "What you believe (how you know it, how sure you are now):",
            tuple(_belief(b) for b in view.beliefs),
        ),
        *_section("What you remember of earlier turns:", view.recollections),
        *_section("What you want:", view.goals),
        "What you witnessed this turn, in order:",
        *(f"{n}. {_told(scene, a)}" for n, a in enumerate(scene.actions, 1)),
        f"How does {persona.name} react? One JSON object.",
    ]
    return ModelRequest(
        system=PERSONA,
        prompt="\n".join(lines),
        key=key,
        temperature=0.9,
        max_tokens=300,
        schema=REACTION_SCHEMA,
        subject=view,
    )


def _belief(held: Held) -> str:
    told = f", told by {held.told_by}" if held.told_by else ""
    return f"{held.statement} ({held.source.replace('_', ' ')}, {held.reliability:.2f}{told})"


def _section(title: str, lines: tuple[str, ...]) -> list[str]:
    return [title, *(f"- {line}" for line in lines)] if lines else []


def _portrait(character: SceneCharacter) -> str:
    p = character.personality
    traits = (
        f"openness {p.openness:.1f}, conscientiousness {p.conscientiousness:.1f}, "
        f"extraversion {p.extraversion:.1f}, agreeableness {p.agreeableness:.1f}, "
        f"neuroticism {p.neuroticism:.1f}"
    )
    background = f" Background: {character.background}" if character.background else ""
    return f"{character.name} ({character.kind.value}; {traits}).{background}"


def _told(scene: Scene, action: SceneAction) -> str:
    actor = scene.character(action.actor_id).name
    targets = ", ".join(scene.character(t).name for t in action.target_ids)
    if action.kind is ActionKind.DIALOGUE:
        told = f'{actor} said{" to " + targets if targets else ""}: "{action.intent}"'
    else:
        at = f" (at {targets})" if targets else ""
        told = f"{actor} {action.kind.value}: {action.intent}{at}"
    if action.outcome is not None:
        verdict = "succeeded" if action.outcome.success else "failed"
        told += f" [{verdict}" + (
            f": {action.outcome.description}]" if action.outcome.description else "]"
        )
    return told
