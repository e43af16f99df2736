"""A persona's in-character reaction, chosen from what it witnessed and its traits, and
the small schema every reaction (the offline model's or a remote model's) must pass."""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from typing import Any

from novel_engine.domain.errors import InvalidInput
from novel_engine.domain.scene import PersonaView, SceneAction, SceneCharacter
from novel_engine.domain.session import ActionKind

REACTION_KINDS = frozenset({"DIALOGUE", "ACTION"})
INTENT_MAX = 500


def validate_reaction(reaction: Any, known_ids: Collection[str]) -> dict[str, Any]:
    """A reaction as `{"kind", "targetId", "intent"}`, or InvalidInput saying what is off:
    kind DIALOGUE (intent is the spoken line) or ACTION (intent is a verb phrase),
    targetId one of `known_ids` or None, intent 1..500 characters."""
    if not isinstance(reaction, dict) or set(reaction) != {"kind", "targetId", "intent"}:
        raise InvalidInput("A reaction has exactly kind, targetId and intent.", "reaction")
    if reaction["kind"] not in REACTION_KINDS:
        raise InvalidInput("A reaction's kind is DIALOGUE or ACTION.", "kind")
    target = reaction["targetId"]
    if target is not None and target not in known_ids:
        raise InvalidInput("A reaction targets someone present, or no one.", "targetId")
    intent = reaction["intent"]
    if not isinstance(intent, str) or not intent.strip() or len(intent) > INTENT_MAX:
        raise InvalidInput(f"A reaction's intent is 1 to {INTENT_MAX} characters.", "intent")
    return {"kind": reaction["kind"], "targetId": target, "intent": intent.strip()}


def react(view: PersonaView) -> dict[str, Any]:
    """Reacts to the witnessed action that most concerns the persona: an attack on it,
    else one aimed at it, else the last one by someone else; with none, it watches."""
    scene, persona = view.scene, view.persona
    rng = random.Random(view.seed())
    event = _salient(scene.actions, persona.id)
    if event is None:
        reaction = {"kind": "ACTION", "targetId": None, "intent": f"watch {scene.place}"}
    else:
        actor = scene.character(event.actor_id)
        reaction = _from_brief(view, actor, event) or _respond(persona, actor, event, rng)
    return validate_reaction(reaction, {c.id for c in scene.characters})


def _from_brief(
    view: PersonaView, actor: SceneCharacter, event: SceneAction
) -> dict[str, Any] | None:
    """What the persona's brief makes it do: keep clear of someone it knows means it
    harm; asked a question, pass on the surest thing it was told by someone else (so
    rumours travel, attributed, from listener to listener)."""
    name = actor.name.split()[0]
    threatened = f"means {view.persona.name} harm"
    if any(threatened in goal and actor.name in goal for goal in view.goals):
        return {"kind": "ACTION", "targetId": actor.id, "intent": f"keep clear of {name}"}
    asked = (
        event.kind is ActionKind.DIALOGUE
        and view.persona.id in event.target_ids
        and event.intent.rstrip().endswith("?")
    )
    rumours = [
        b for b in view.beliefs if b.source == "hearsay" and b.told_by and b.told_by != actor.name
    ]
    if not asked or not rumours or view.persona.personality.agreeableness < 0.5:
        return None
    told = max(rumours, key=lambda b: b.reliability)  # newest first: the newest of the surest
    words = told.statement.rstrip(".!?")
    return {
        "kind": "DIALOGUE",
        "targetId": actor.id,
        "intent": f"{name}, {told.told_by} told me this: {words}."[:INTENT_MAX],
    }


def _salient(actions: Sequence[SceneAction], persona_id: str) -> SceneAction | None:
    others = [a for a in actions if a.actor_id != persona_id]
    aimed = [a for a in others if persona_id in a.target_ids]
    attacks = [a for a in aimed if a.kind is ActionKind.ATTACK]
    chosen = attacks or aimed or others
    return chosen[-1] if chosen else None


def _disposition(persona: SceneCharacter, event: SceneAction) -> str:
    """Which trait drives the reaction: the strongest, with a threat waking the nerves."""
    traits = persona.personality
    if event.kind is ActionKind.ATTACK and persona.id in event.target_ids:
        if traits.neuroticism >= 0.6:
            return "startle"
        return "rebuke" if traits.agreeableness < 0.5 else "defend"
    leanings = {
        "startle": traits.neuroticism - 0.5,
        "rebuke": 0.5 - traits.agreeableness,
        "help": traits.agreeableness - 0.5,
        "hail": traits.extraversion - 0.5,
        "observe": 0.5 - traits.extraversion,
        "wonder": traits.openness - 0.5,
    }
    return max(sorted(leanings), key=lambda d: leanings[d])


def _respond(
    persona: SceneCharacter, actor: SceneCharacter, event: SceneAction, rng: random.Random
) -> dict[str, Any]:
    name = actor.name.split()[0]  # one speaks to people by their first name
    if event.kind is ActionKind.DIALOGUE:
        lines = _answers(name, event)
    else:
        lines = _retorts(name, event, _witnessed(event).replace(persona.name, "me"))
    disposition = _disposition(persona, event)
    if disposition == "defend":
        return {"kind": "ACTION", "targetId": actor.id, "intent": f"hold off {name}"}
    if disposition == "observe":
        return {"kind": "ACTION", "targetId": actor.id, "intent": f"watch {name} closely"}
    failed = event.outcome is not None and not event.outcome.success
    if disposition == "help" and failed and rng.random() < 0.5:
        return {"kind": "ACTION", "targetId": actor.id, "intent": f"help {name}"}
    options = lines[disposition]
    return {"kind": "DIALOGUE", "targetId": actor.id, "intent": options[rng.randrange(2)]}


def _retorts(name: str, event: SceneAction, what: str) -> dict[str, tuple[str, str]]:
    """What each disposition says to a deed it saw."""
    return {
        "startle": (f"{name}! What was that?", f"Wait, {name}, you {what}?"),
        "rebuke": (f"{name}, you {what}? That was foolish.", f"Enough, {name}."),
        "help": (f"Well done, {name}.", f"I am with you, {name}.")
        if event.outcome is None or event.outcome.success
        else (f"Steady, {name}. We can try again.", f"Let me help, {name}."),
        "hail": (f"{name}! Over here!", f"Ha! {name}, you {what}!"),
        "wonder": (f"{name}, why {_question(event)}?", f"How did you do that, {name}?"),
    }


def _answers(name: str, event: SceneAction) -> dict[str, tuple[str, str]]:
    """What each disposition says back to a spoken line: a question gets an answer (or a
    refusal), anything else a reply."""
    failed = event.outcome is not None and not event.outcome.success
    if event.intent.rstrip().endswith("?"):
        return {
            "startle": (f"{name}? Why ask me that?", f"Me? I know nothing of it, {name}."),
            "rebuke": (f"That is none of your business, {name}.", f"Ask someone else, {name}."),
            "help": (f"I can tell you, {name}. Sit a while.", f"Ask what you need, {name}."),
            "hail": (
                f"Ha! You want to know, {name}? Sit, and I'll tell you.",
                f"Now there's a question, {name}! Listen close.",
            ),
            "wonder": (f"Strange you should ask that, {name}.", f"Who told you to ask, {name}?"),
        }
    return {
        "startle": (f"{name}, you frighten me, talking so.", f"Quiet, {name}! Not here."),
        "rebuke": (f"Mind your words, {name}.", f"Nobody asked you, {name}."),
        "help": (f"Don't lose heart, {name}.", f"Let me try, {name}.")
        if failed
        else (f"I hear you, {name}.", f"Well said, {name}."),
        "hail": (f"Ha! Well said, {name}!", f"Say it again, {name}, louder!"),
        "wonder": (f"What makes you say so, {name}?", f"Do you truly believe that, {name}?"),
    }


def _witnessed(event: SceneAction) -> str:
    """What the persona saw, in the second person past: "tried to open the gate"."""
    if event.kind is ActionKind.DIALOGUE:
        return "said that"
    intent = event.intent.strip().rstrip(".!?")
    intent = intent[3:] if intent.lower().startswith("to ") else intent
    return f"tried to {intent[:1].lower()}{intent[1:]}"


def _question(event: SceneAction) -> str:
    if event.kind is ActionKind.DIALOGUE:
        return "say that"
    return _witnessed(event).removeprefix("tried to ")
