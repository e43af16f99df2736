"""The offline story writer: a story from a brief, told as a journey through the five
plot points.

The brief's cast fills three roles: the hero (its first protagonist, else its first
character), the foe (its first antagonist) and allies (everyone else); a role the cast
leaves open gets a name from the genre's bank. The story is a chain of scenes, each
told by the chronicler's composer exactly as a turn would be:

- the inciting incident, at home: the thing at stake is lost, and the hero sets out;
- rising action, one scene per stop on the road (as many as the length asks for): clues,
  obstacles, talk among the allies built from an opener and a claim, now and then the
  foe striking; each ends with the move to the next stop;
- the climax, at the foe's place: a confrontation, a missed blow, the thing won back;
- the falling action, there: the foe flees, wounds are bound;
- the resolution, back home, ending as the tone ends things.

The requester's prompt is what everyone remembers as the story opens. Every choice is
drawn from generators seeded by the brief (each scene by its own), so the same brief
gives the same story, word for word.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from novel_engine.domain.character import CharacterKind, Personality
from novel_engine.domain.scene import Outcome, Scene, SceneAction, SceneCharacter
from novel_engine.domain.session import ActionKind
from novel_engine.domain.story import PlotPoint, StoryLength, count_words
from novel_engine.domain.writing import StoryBrief
from novel_engine.narrative import story_words as words
from novel_engine.narrative.prose import compose, render
from novel_engine.narrative.story_words import Beat

# Stop adding rising action once the story is this share of its length: the last scene
# added takes it to about the length asked for.
_FILL = 0.9
_MAX_RISING = 40
# Actions per scene (the move that ends a rising scene aside).
_BEATS = {StoryLength.SHORT: 2, StoryLength.MEDIUM: 3, StoryLength.LONG: 4}


def write_story(brief: StoryBrief) -> str:
    """The story as paragraphs of prose, separated by blank lines."""
    return _Writer(brief).story()


@dataclass(frozen=True)
class _Stop:
    """Where a scene happens, where it leads, and what is remembered as it opens."""

    place: str
    next: str = ""
    earlier: str = ""


class _Writer:
    def __init__(self, brief: StoryBrief) -> None:
        self.brief = brief
        self.seed = brief.seed()
        rng = random.Random(self.seed)
        genre = brief.genre
        self.hero, self.foe, self.allies = _roles(brief, rng)
        self.themes = list(brief.themes) or rng.sample(words.THEMES[genre], 2)
        self.token = rng.choice(words.TOKENS[genre])
        places = list(words.PLACES[genre])
        rng.shuffle(places)
        self.home, self.lair, *self.road = places
        self.beats = _BEATS[brief.length]

    def story(self) -> str:
        opening = self.fixed(
            0, PlotPoint.INCITING_INCIDENT, _Stop(self.home, self.road[0], self.brief.prompt)
        )
        ending = [
            self.fixed(
                1,
                PlotPoint.CLIMAX,
                _Stop(self.lair, earlier=f"everything had led to {self.lair}"),
            ),
            self.fixed(2, PlotPoint.FALLING_ACTION, _Stop(self.lair)),
            self.fixed(3, PlotPoint.RESOLUTION, _Stop(self.home)),
        ]
        told = count_words(" ".join([opening, *ending]))
        rising: list[str] = []
        while not rising or (told < self.brief.length.words * _FILL and len(rising) < _MAX_RISING):
            rising.append(self.rising(len(rising), last=False))
            told += count_words(rising[-1])
        # The last stop on the road leads to the foe.
        rising[-1] = self.rising(len(rising) - 1, last=True)
        return "\n\n".join([opening, *rising, *ending])

    # Scenes ----------------------------------------------------------------------

    def fixed(self, index: int, point: PlotPoint, stop: _Stop) -> str:
        rng = self.rng_for(f"{point.value}/{index}")
        beats = list(words.FIXED_BEATS[point])
        if len(beats) > self.beats + 1:  # a short story keeps fewer: the first, then some
            keep = sorted(rng.sample(range(1, len(beats)), self.beats))
            beats = [beats[0], *(beats[i] for i in keep)]
        if point is PlotPoint.INCITING_INCIDENT:
            beats.append(self.departure())
        if point is PlotPoint.RESOLUTION:
            ending = rng.choice(words.ENDINGS[self.brief.tone])
            beats.append(
                Beat(
                    "hero",
                    ActionKind.WAIT,
                    "watch the light change over {place}",
                    None,
                    True,
                    (ending, ""),
                )
            )
        return self.tell(stop, beats, rng, self.allies[0])

    def rising(self, index: int, *, last: bool) -> str:
        rng = self.rng_for(f"rising/{index}")
        place = self.road[index % len(self.road)]
        following = self.lair if last else self.road[(index + 1) % len(self.road)]
        ally = self.allies[index % len(self.allies)]
        beats = rng.sample(self.rising_beats(rng), self.beats)
        return self.tell(_Stop(place, following), [*beats, self.departure()], rng, ally)

    def rising_beats(self, rng: random.Random) -> list[Beat]:
        genre = self.brief.genre
        talk = f"{rng.choice(words.OPENERS)} {rng.choice(words.CLAIMS)}"
        answer = f"{rng.choice(words.OPENERS)} {rng.choice(words.CLAIMS)}"
        clue = rng.choice(words.CLUES[genre])
        obstacle = rng.choice(words.OBSTACLES[genre])
        return [
            Beat("ally", ActionKind.DIALOGUE, talk, "hero"),
            Beat("hero", ActionKind.DIALOGUE, answer, "ally"),
            Beat(
                "hero",
                ActionKind.SKILL,
                f"{rng.choice(words.SEARCH_VERBS)} {clue}",
                None,
                None,
                ("it pointed the way to {next}", "it led nowhere"),
            ),
            Beat(
                rng.choice(("hero", "ally")),
                ActionKind.INTERACT,
                f"{rng.choice(words.FORCE_VERBS)} {obstacle}",
                None,
                None,
                ("it gave way at last", "it would not budge"),
            ),
            Beat(
                "foe",
                ActionKind.ATTACK,
                rng.choice(words.AMBUSHES),
                "hero",
                None,
                ("{hero} was hurt", "{hero} slipped away unharmed"),
            ),
        ]

    def departure(self) -> Beat:
        return Beat("hero", ActionKind.MOVE, "{next}", None, True, ("{next} came into view", ""))

    def tell(
        self, stop: _Stop, beats: Sequence[Beat], rng: random.Random, ally: SceneCharacter
    ) -> str:
        cast = {"hero": self.hero, "foe": self.foe, "ally": ally}
        names = {role: character.name for role, character in cast.items()}
        theme = rng.choice(self.themes)
        fields = {
            **names,
            "token": self.token,
            "Token": _upper_first(self.token),
            "theme": theme,
            "Theme": _upper_first(theme),
            "place": stop.place,
            "next": stop.next,
        }
        actions = []
        for beat in beats:
            success = beat.success if beat.success is not None else rng.random() < 0.6
            told = beat.outcomes[0] if success else beat.outcomes[1]
            intent = beat.intent.format(**fields)
            if beat.kind is ActionKind.DIALOGUE:
                intent = _upper_first(intent)
            targets = (cast[beat.target].id,) if beat.target else ()
            spoken = beat.kind is ActionKind.DIALOGUE and not any(beat.outcomes)
            outcome = None if spoken else Outcome(success, told.format(**fields))
            actions.append(SceneAction(cast[beat.actor].id, beat.kind, intent, targets, outcome))
        present = {c.id: c for c in cast.values() if any(c.id in _named(a) for a in actions)}
        scene = Scene(
            self.brief.genre,
            self.brief.tone,
            stop.place,
            tuple(present.values()),
            tuple(actions),
            weather=rng.choice(words.WEATHER) if rng.random() < 0.3 else "",
            time_of_day=rng.choice(words.TIMES) if rng.random() < 0.3 else "",
            earlier=stop.earlier,
        )
        return "".join(render(compose(scene)))

    def rng_for(self, scene: str) -> random.Random:
        return random.Random(f"{self.seed}/{scene}")


def _roles(
    brief: StoryBrief, rng: random.Random
) -> tuple[SceneCharacter, SceneCharacter, list[SceneCharacter]]:
    """The hero, the foe and the allies, inventing whoever the cast does not provide."""
    cast = list(brief.cast)
    hero = _first(cast, CharacterKind.PROTAGONIST) or (cast[0] if cast else None)
    rest = [c for c in cast if c is not hero]
    foe = _first(rest, CharacterKind.ANTAGONIST)
    allies = [c for c in rest if c is not foe]
    taken = {c.name for c in cast}
    free = [n for n in words.NAMES[brief.genre] if n not in taken]
    rng.shuffle(free)
    free[:0] = [n for n in words.SPARE_NAMES if n not in taken]  # popped last

    def invented(role: str, kind: CharacterKind) -> SceneCharacter:
        traits = {t: rng.choice((0.2, 0.5, 0.8)) for t in Personality().as_dict()}
        return SceneCharacter(f"invented-{role}", free.pop(), kind, Personality(**traits))

    hero = hero or invented("hero", CharacterKind.PROTAGONIST)
    foe = foe or invented("foe", CharacterKind.ANTAGONIST)
    return hero, foe, allies or [invented("ally", CharacterKind.NPC)]


def _first(cast: Sequence[SceneCharacter], kind: CharacterKind) -> SceneCharacter | None:
    return next((c for c in cast if c.kind is kind), None)


def _named(action: SceneAction) -> set[str]:
    return {action.actor_id, *action.target_ids}


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]
