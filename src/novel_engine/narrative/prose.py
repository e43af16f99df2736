"""The offline chronicler: a turn told as prose, composed sentence by sentence from the
scene with a random generator seeded by the scene itself."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence

from novel_engine.domain.scene import Outcome, Scene, SceneAction, SceneCharacter, ViewpointScene
from novel_engine.domain.session import ActionKind
from novel_engine.narrative import vocabulary as words

_TERSE = re.compile(r"\b(terse|spare|sparse|lean|brief|minimal|plain|clipped)\b", re.I)
_LYRICAL = re.compile(r"\b(lyrical|ornate|florid|poetic|rich|lush|purple|vivid)\b", re.I)
_TRAIT_FLOOR = 0.15  # traits nearer 0.5 than this do not colour a character


def style_density(narration_style: str) -> int:
    """0 for a terse style (no similes or closing line), 2 for a lyrical one, else 1."""
    if _TERSE.search(narration_style):
        return 0
    return 2 if _LYRICAL.search(narration_style) else 1


def compose(scene: Scene) -> list[list[str]]:
    """The narration as paragraphs of sentences."""
    return _Composer(scene).paragraphs()


def compose_viewpoint(view: ViewpointScene) -> list[list[str]]:
    """The turn told close on one character: it opens with what that character took in
    of the place and closes on what it was left with; its scene holds only what it
    perceived."""
    return _Composer(view.scene, view.viewpoint, view.seed()).paragraphs()


def render(paragraphs: Sequence[Sequence[str]]) -> Iterator[str]:
    """Pieces that join to the full text: each sentence with the space or break after it."""
    for p_index, paragraph in enumerate(paragraphs):
        for s_index, sentence in enumerate(paragraph):
            last_in_paragraph = s_index == len(paragraph) - 1
            if last_in_paragraph and p_index == len(paragraphs) - 1:
                yield sentence
            else:
                yield sentence + ("\n\n" if last_in_paragraph else " ")


class _Composer:
    def __init__(
        self, scene: Scene, viewpoint: SceneCharacter | None = None, seed: int | None = None
    ) -> None:
        self.scene = scene
        self.viewpoint = viewpoint
        self.rng = random.Random(scene.seed() if seed is None else seed)
        self.density = style_density(scene.narration_style)
        self.introduced: set[str] = set()
        self.proper = _proper_words(scene)

    def paragraphs(self) -> list[list[str]]:
        current = [self.setting()]
        if self.scene.earlier.strip():
            current.append(self.bridge())
        paragraphs = [current]
        per_paragraph = self.rng.choice((2, 3))
        for index, action in enumerate(self.scene.actions):
            if index and index % per_paragraph == 0:
                current = []
                paragraphs.append(current)
            current.extend(self.action(action, first=index == 0))
        if self.scene.actions and self.density and self.rng.random() < 0.7:
            current.append(self.closing())
        return paragraphs

    # Scene framing ---------------------------------------------------------------

    def setting(self) -> str:
        if self.viewpoint is not None:
            return self.viewpoint_setting(self.viewpoint)
        tone = self.scene.tone
        adj, adj2 = self.rng.sample(words.MOOD_ADJECTIVES[tone], 2)
        template = self.pick(words.SETTING_OPENINGS[tone])
        mood = _articles(template.replace("{adj}", adj).replace("{adj2}", adj2))
        opening = mood.replace("{place}", self.scene.place)
        if self.scene.weather.strip():
            opening += ", " + self.pick(words.WEATHER_PHRASES).format(
                weather=self.scene.weather.strip()
            )
        if self.scene.time_of_day.strip():
            time = self.scene.time_of_day.strip()
            opening = f"It was {time}, and {_lower_first(opening, self.proper)}"
        return _sentence(opening)

    def viewpoint_setting(self, viewpoint: SceneCharacter) -> str:
        adj = self.pick(words.MOOD_ADJECTIVES[self.scene.tone])
        opening = self.pick(words.VIEWPOINT_OPENINGS).format(
            name=viewpoint.name, place=self.scene.place, adj=adj
        )
        if self.scene.time_of_day.strip():
            opening += f" that {self.scene.time_of_day.strip()}"
        return _sentence(_articles(opening))

    def bridge(self) -> str:
        earlier = _clause(self.scene.earlier, self.proper)
        return _sentence(f"{self.pick(words.BRIDGES)}: {earlier}")

    def closing(self) -> str:
        actor = self.viewpoint or self.scene.character(self.scene.actions[-1].actor_id)
        tone = self.scene.tone
        closings = words.VIEWPOINT_CLOSINGS if self.viewpoint else words.CLOSINGS[tone]
        line = self.pick(closings).format(
            name=actor.name,
            adj=self.pick(words.MOOD_ADJECTIVES[tone]),
            noun=self.pick(words.MOOD_NOUNS[tone]),
        )
        return _sentence(line)

    # Actions ---------------------------------------------------------------------

    def action(self, action: SceneAction, first: bool) -> list[str]:
        if action.kind is ActionKind.DIALOGUE:
            told = [self.speech(action)]
            if action.outcome is not None:
                told.append(self.reception(action.outcome))
            return told
        return self.deed(action, first)

    def deed(self, action: SceneAction, first: bool) -> list[str]:
        actor = self.scene.character(action.actor_id)
        intent = _verb_phrase(action.intent, self.proper)
        aim = f"{self.pick(words.ATTEMPT_VERBS[action.kind])} {intent}"
        if not all(self.scene.character(t).name in intent for t in action.target_ids):
            aim += self.targets(action)
        shape = self.rng.randrange(5)
        outcome = action.outcome
        if shape == 0 or outcome is None:
            lead = self.lead(actor, first)
            told = [_sentence(f"{lead} {aim}")]
            if outcome is not None:
                told.append(self.result(outcome, actor))
            return told
        result = self.outcome_clause(outcome)
        if shape == 1:
            lead = f"{self.pick(words.TRANSITIONS)}, {self.subject(actor)}"
            return [_sentence(f"{lead} {self.adverb(actor)}{aim}, {result}")]
        if shape == 2 and (gesture := self.gesture(actor)):
            return [_sentence(f"{gesture}, {actor.name} {aim}; {_dropped_link(result)}")]
        if shape == 3:
            return [_sentence(f"It was {actor.name} who {aim}, {result}{self.simile()}")]
        return [_sentence(f"{self.subject(actor)} {aim}"), self.result(outcome, actor)]

    def speech(self, action: SceneAction) -> str:
        actor = self.scene.character(action.actor_id)
        line, listeners = action.intent.strip(), self.names(action.target_ids)
        named_in_line = all(self.scene.character(t).name in line for t in action.target_ids)
        if listeners and not named_in_line:
            verb, to = self.pick(words.SPEECH_VERBS_TO), f" to {listeners}"
        else:
            verb, to = self.pick(words.SPEECH_VERBS), ""
        shape = self.rng.randrange(4)
        if shape == 0 and line.endswith(("!", "?")):
            return _quoted_end(f'"{line}" {actor.name} {verb}{to}')
        if shape == 1 and listeners:
            return _quoted_end(f'Turning to {listeners}, {actor.name} {verb}, "{line}"')
        if shape == 2 and (gesture := self.gesture(actor)):
            return _quoted_end(f'{gesture}, {actor.name} {verb}{to}, "{line}"')
        lead = self.subject(actor)
        return _quoted_end(f"{lead} {verb}{to} {self.adverb(actor)}".rstrip() + f', "{line}"')

    def reception(self, outcome: Outcome) -> str:
        lead = self.pick(words.HEARD if outcome.success else words.UNHEEDED)
        if outcome.description.strip():
            return _sentence(f"{lead}: {_clause(outcome.description, self.proper)}")
        return _sentence(lead)

    def result(self, outcome: Outcome, actor: SceneCharacter) -> str:
        description = outcome.description.strip()
        if not description:
            plain = words.SUCCESS_PLAIN if outcome.success else words.FAILURE_PLAIN
            return _sentence(f"{self.pick(plain)}{self.simile()}")
        leads = words.SUCCESS_LEADS if outcome.success else words.FAILURE_LEADS
        lead = self.pick(leads).format(name=actor.name)
        told = _clause(description, self.proper) if lead else description.rstrip(".!;:,")
        return _sentence(f"{lead}{told}{self.simile()}")

    def outcome_clause(self, outcome: Outcome) -> str:
        description = _clause(outcome.description, self.proper)
        if not description:
            plain = words.SUCCESS_PLAIN if outcome.success else words.FAILURE_PLAIN
            return f"{'and' if outcome.success else 'but'} {self.pick(plain)}"
        links = words.SUCCESS_LINKS if outcome.success else words.FAILURE_LINKS
        return f"{self.pick(links)} {description}"

    # Words about characters ------------------------------------------------------

    def lead(self, actor: SceneCharacter, first: bool) -> str:
        if first:
            return self.subject(actor)
        return f"{self.pick(words.TRANSITIONS)}, {self.subject(actor)}"

    def subject(self, actor: SceneCharacter) -> str:
        """The actor's name, with their background as an aside the first time they act."""
        background = actor.background.strip().rstrip(".")
        fits = background and len(background.split()) <= 8 and self.density
        if actor.id in self.introduced or not fits:
            return actor.name
        self.introduced.add(actor.id)
        return f"{actor.name}, {_lower_first(background, self.proper)},"

    def trait(self, actor: SceneCharacter) -> tuple[str, bool] | None:
        leanings = {t: v - 0.5 for t, v in actor.personality.as_dict().items()}
        strong = [(t, d) for t, d in sorted(leanings.items()) if abs(d) >= _TRAIT_FLOOR]
        if not strong:
            return None
        weights = [abs(d) for _, d in strong]
        name, leaning = self.rng.choices(strong, weights=weights)[0]
        return name, leaning > 0

    def adverb(self, actor: SceneCharacter) -> str:
        trait = self.trait(actor)
        return f"{self.pick(words.TRAIT_ADVERBS[trait])} " if trait else ""

    def gesture(self, actor: SceneCharacter) -> str:
        trait = self.trait(actor)
        return _upper_first(self.pick(words.TRAIT_GESTURES[trait])) if trait else ""

    def targets(self, action: SceneAction) -> str:
        names = self.names(action.target_ids)
        return f" {words.TARGET_PREPOSITIONS[action.kind]} {names}" if names else ""

    def names(self, ids: Sequence[str]) -> str:
        names = [self.scene.character(i).name for i in ids]
        if len(names) <= 1:
            return "".join(names)
        return f"{', '.join(names[:-1])} and {names[-1]}"

    def simile(self) -> str:
        chance = (0.0, 0.25, 0.6)[self.density]
        if self.rng.random() >= chance:
            return ""
        return ", " + self.pick(words.SIMILES[self.scene.genre])

    def pick(self, options: Sequence[str]) -> str:
        return options[self.rng.randrange(len(options))]


def _verb_phrase(intent: str, proper: frozenset[str]) -> str:
    phrase = _clause(intent, proper)
    return phrase[3:] if phrase.lower().startswith("to ") else phrase


def _clause(text: str, proper: frozenset[str]) -> str:
    """Text set inside a sentence: trimmed, end punctuation dropped, first letter lowered
    unless the first word is one of the scene's names or places."""
    return _lower_first(text.strip().rstrip(".!;:,").strip(), proper)


def _lower_first(text: str, proper: frozenset[str]) -> str:
    first_word = text.split(" ", 1)[0].strip(",;:'\"")
    if first_word in proper or first_word == "I" or first_word[1:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def _proper_words(scene: Scene) -> frozenset[str]:
    """Words that keep their capital wherever they stand: names and places."""
    text = " ".join([scene.place, *(c.name for c in scene.characters)])
    return frozenset(word.strip(",;:'\"") for word in text.split() if word[:1].isupper())


def _articles(text: str) -> str:
    """ "a" before a vowel becomes "an"; only for the model's own words, whose
    pronunciation is known (no "a unicorn" among them)."""
    return re.sub(r"\b([Aa]) (?=[aeiou])", r"\1n ", text)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _dropped_link(result: str) -> str:
    return result.split(" ", 1)[1] if result.startswith(("and ", "but ", "yet ")) else result


def _sentence(text: str) -> str:
    text = _upper_first(text.strip())
    return text if text.endswith((".", "!", "?")) else text + "."


def _quoted_end(text: str) -> str:
    """A sentence ending in a quoted line keeps the line's own final mark."""
    text = _upper_first(text)
    return text if text[-2:-1] in {".", "!", "?"} and text.endswith('"') else text + "."
