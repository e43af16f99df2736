"""Which plot point a session reaches with each turn, from measures of what its turns did.

A turn's tension is what it put at stake:

    tension = 1 per ATTACK + 2 per character it hurt + 0.5 per failed action
              + 0.5 per place a character reached for the first time this session

The five points are reached in order, each at most once, and at most one per turn:

- inciting incident: the first turn with any tension;
- rising action: once the tension of the turns after the inciting incident adds up to 2;
- climax: the first turn after that at least 3 tense and at least as tense as every
  turn since the inciting incident;
- falling action: the first turn after the climax at most half as tense as the climax;
- resolution: the first calm turn (no tension) after the falling action, or the end of a
  session that got past its climax.

So a session of talk reaches nothing; one that wanders and fights builds to a climax when
its hardest fight comes. Everything is computed from the turns alone, so replaying a
session (or a fork of it) reaches the same points at the same turns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from novel_engine.domain.actions import ActionKind
from novel_engine.domain.session import Turn
from novel_engine.domain.story import PlotPoint

ATTACK = 1.0
HURT = 2.0
FAILURE = 0.5
NEW_PLACE = 0.5
RISING = 2.0
CLIMAX = 3.0

ORDER = tuple(PlotPoint)


@dataclass(frozen=True)
class TurnSummary:
    """What a turn did, as far as the plot is concerned."""

    attacks: int = 0  # ATTACK actions, whether they landed or not
    failures: int = 0  # actions the director judged failed
    hurt: int = 0  # characters a successful attack hurt (wounded, or worse)
    places: tuple[str, ...] = ()  # where successful MOVEs took characters

    @classmethod
    def of(cls, turn: Turn) -> TurnSummary:
        """A played turn's summary, from its actions and the AI-played characters'
        reactions, with the director's outcomes."""
        judged = [
            *zip(turn.actions, turn.outcomes, strict=False),
            *((r.action, r.outcome) for r in turn.reactions),
        ]
        hits = [a for a, o in judged if a.kind is ActionKind.ATTACK and o.success]
        return cls(
            attacks=sum(a.kind is ActionKind.ATTACK for a, _ in judged),
            failures=sum(not o.success for _, o in judged),
            hurt=sum(len({t for t in a.target_ids if t != a.character_id}) for a in hits),
            places=tuple(a.intent for a, o in judged if a.kind is ActionKind.MOVE and o.success),
        )


def plot_point(history: Sequence[TurnSummary], ended: bool = False) -> PlotPoint | None:
    """The point a session newly reaches. `history` is every turn so far, oldest first.

    With `ended` False: the point its latest turn reaches, if any (call once per turn).
    With `ended` True: the point the session's end reaches, after all of `history`:
    the resolution, if the session got past its climax without one (call once, when the
    session ends).
    """
    reached = arc(history)
    if not ended:
        return reached[-1] if reached else None
    last = next((p for p in reversed(reached) if p is not None), None)
    if last is not None and ORDER.index(last) >= ORDER.index(PlotPoint.CLIMAX):
        return PlotPoint.RESOLUTION if last is not PlotPoint.RESOLUTION else None
    return None


def arc(history: Sequence[TurnSummary]) -> list[PlotPoint | None]:
    """Per turn, in order, the point it reached (None for most)."""
    walk = _Arc()
    return [walk.step(turn) for turn in history]


@dataclass
class _Arc:
    reached: PlotPoint | None = None
    places: set[str] = field(default_factory=set)
    since_incident: float = 0.0  # tension of the turns after the inciting incident
    peak: float = 0.0  # the tensest of those turns
    climax: float = 0.0  # the climax's tension

    def step(self, turn: TurnSummary) -> PlotPoint | None:
        new_places = set(turn.places) - self.places
        self.places |= new_places
        tension = (
            ATTACK * turn.attacks
            + HURT * turn.hurt
            + FAILURE * turn.failures
            + NEW_PLACE * len(new_places)
        )
        point = self._next() if self._reaches(tension) else None
        if self.reached is not None and point is not PlotPoint.INCITING_INCIDENT:
            self.since_incident += tension
            self.peak = max(self.peak, tension)
        if point is PlotPoint.CLIMAX:
            self.climax = tension
        self.reached = point or self.reached
        return point

    def _next(self) -> PlotPoint | None:
        if self.reached is None:
            return PlotPoint.INCITING_INCIDENT
        index = ORDER.index(self.reached) + 1
        return ORDER[index] if index < len(ORDER) else None

    def _reaches(self, tension: float) -> bool:
        following = self._next()
        if following is PlotPoint.INCITING_INCIDENT:
            return tension > 0
        if following is PlotPoint.RISING_ACTION:
            return self.since_incident + tension >= RISING
        if following is PlotPoint.CLIMAX:
            return tension >= CLIMAX and tension >= self.peak
        if following is PlotPoint.FALLING_ACTION:
            return tension <= self.climax / 2
        if following is PlotPoint.RESOLUTION:
            return tension == 0
        return False
