"""The coherence check: does a submitted turn fit what the story has established?

Pure and structural, no model call. Before the director resolves a turn, each action is
held against the facts of the campaign: where every character stands and in what
condition (the world state, with the event that last set each), and what the actor
itself said earlier. Five rules, documented in docs/decisions/0019-coherence-rules.md:

- ACTING_ELSEWHERE: an INTERACT, SKILL or ATTACK whose intent names a known place (a
  value of `worldState.locations` or `worldState.place`) that is not where the actor
  stands (and does not also name where it stands).
- TARGET_ABSENT: a target of an ATTACK, INTERACT or SKILL stands at another place.
- LISTENER_ABSENT: a DIALOGUE's listener stands at another place.
- INCAPACITATED: a character gravely wounded, unconscious, dead or incapacitated does
  anything but WAIT.
- SELF_CONTRADICTION: the intent states the negation or the opposite of a statement the
  actor made in its own earlier dialogue ("the key is in the cellar" / "the key is not
  in the cellar"; "the guard is alive" / "the guard is dead").

The rules about places are WARNINGs: the director already prices acting at a distance
(a target elsewhere is harder to reach, not unreachable) and a place named in an intent
may only be spoken of. INCAPACITATED and SELF_CONTRADICTION are ERRORs: no roll
overcomes a record that says the actor cannot act, or the actor's own word. A campaign
in strict mode refuses a turn with an ERROR; WARNINGs never refuse it.

A MOVE earlier in the same turn counts as done for the actions after it: the check
judges what the player means, before any roll.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from novel_engine.domain.actions import Action, ActionKind


class Severity(Enum):
    WARNING = "warning"
    ERROR = "error"


class Rule(Enum):
    ACTING_ELSEWHERE = "acting_elsewhere"
    TARGET_ABSENT = "target_absent"
    LISTENER_ABSENT = "listener_absent"
    INCAPACITATED = "incapacitated"
    SELF_CONTRADICTION = "self_contradiction"


SEVERITY = {
    Rule.ACTING_ELSEWHERE: Severity.WARNING,
    Rule.TARGET_ABSENT: Severity.WARNING,
    Rule.LISTENER_ABSENT: Severity.WARNING,
    Rule.INCAPACITATED: Severity.ERROR,
    Rule.SELF_CONTRADICTION: Severity.ERROR,
}
BLOCKING = Severity.ERROR  # what strict mode refuses

# Conditions (the world's `conditions`, as the director and gamemasters write them) in
# which a character can do nothing but wait.
INCAPACITATING = frozenset({"gravely wounded", "unconscious", "dead", "incapacitated"})
_PLACED = (ActionKind.INTERACT, ActionKind.SKILL, ActionKind.ATTACK)


@dataclass(frozen=True)
class CoherenceWarning:
    """One way an action does not fit the story; `event_id` names the event that
    established the fact it conflicts with (None when no event did: a place the
    campaign began with)."""

    rule: Rule
    message: str
    event_id: uuid.UUID | None
    severity: Severity
    action_index: int

    @property
    def blocks(self) -> bool:
        return self.severity is BLOCKING

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.value,
            "message": self.message,
            "eventId": str(self.event_id) if self.event_id else None,
            "severity": self.severity.value,
            "actionIndex": self.action_index,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CoherenceWarning:
        event_id = data.get("eventId")
        return cls(
            Rule(data["rule"]),
            data["message"],
            uuid.UUID(event_id) if event_id else None,
            Severity(data["severity"]),
            int(data["actionIndex"]),
        )


@dataclass(frozen=True)
class Origin:
    """The event that established a fact, and its position in the campaign's stream."""

    event_id: uuid.UUID
    position: int


@dataclass(frozen=True)
class Said:
    """Something a character said in the campaign, from its dialogue event."""

    speaker_id: uuid.UUID
    message: str
    event_id: uuid.UUID


@dataclass(frozen=True)
class Record:
    """What the campaign's events established about the characters of a turn: the
    latest event that set each one's location and condition, and what the actors said
    (newest first)."""

    placed_by: dict[uuid.UUID, Origin] = field(default_factory=dict)
    hurt_by: dict[uuid.UUID, Origin] = field(default_factory=dict)
    said: tuple[Said, ...] = ()


def check(
    actions: Sequence[Action], world_state: dict[str, Any], record: Record
) -> list[CoherenceWarning]:
    """Every warning for the turn's actions, in action order."""
    places = _Where(world_state)
    conditions = _strings(world_state.get("conditions"))
    found: list[CoherenceWarning] = []
    for index, action in enumerate(actions):
        found.extend(_check_one(index, action, places, conditions, record))
        if action.kind is ActionKind.MOVE:
            places.move(action.character_id, action.intent)
    return found


def _check_one(
    index: int,
    action: Action,
    places: _Where,
    conditions: dict[str, str],
    record: Record,
) -> Iterable[CoherenceWarning]:
    def warn(rule: Rule, message: str, origin: Origin | uuid.UUID | None) -> CoherenceWarning:
        event_id = origin.event_id if isinstance(origin, Origin) else origin
        return CoherenceWarning(
            rule, f"Action {index + 1}: {message}", event_id, SEVERITY[rule], index
        )

    actor = action.character_id
    condition = conditions.get(str(actor), "")
    if action.kind is not ActionKind.WAIT and condition.casefold() in INCAPACITATING:
        yield warn(
            Rule.INCAPACITATED,
            f"the actor is {condition} and cannot {action.kind.value}.",
            record.hurt_by.get(actor),
        )
    here = places.of(actor)
    if action.kind in _PLACED:
        elsewhere = places.named_elsewhere(action.intent, here)
        if elsewhere is not None:
            yield warn(
                Rule.ACTING_ELSEWHERE,
                f"the intent names {elsewhere}, but the actor is {_at(here)}.",
                record.placed_by.get(actor),
            )
    if action.kind in (*_PLACED, ActionKind.DIALOGUE):
        rule = Rule.LISTENER_ABSENT if action.kind is ActionKind.DIALOGUE else Rule.TARGET_ABSENT
        part = "the listener" if action.kind is ActionKind.DIALOGUE else "the target"
        for n, target in enumerate(dict.fromkeys(action.target_ids)):
            if target == actor or places.of(target) == here:
                continue
            who = part if len(action.target_ids) == 1 else f"target {n + 1}"
            yield warn(
                rule,
                # Where the other one is stays unsaid: the actor's player may not know.
                # (The event that put it there is named; readers who may not see that
                # event are not given its id.)
                f"{who} is not {_at(here)} with the actor.",
                _latest(record.placed_by.get(target), record.placed_by.get(actor)),
            )
    if action.kind is not ActionKind.MOVE:
        earlier = [s for s in record.said if s.speaker_id == actor]
        contradicted = contradiction(action.intent, earlier)
        if contradicted is not None:
            said, before, now = contradicted
            yield warn(
                Rule.SELF_CONTRADICTION,
                f'the actor said earlier "{before.text}"; now it says "{now.text}".',
                said.event_id,
            )


def _latest(*origins: Origin | None) -> Origin | None:
    known = [o for o in origins if o is not None]
    return max(known, key=lambda o: o.position) if known else None


def _at(place: str | None) -> str:
    return f"at {place}" if place else "at the campaign's starting place"


def _strings(found: Any) -> dict[str, str]:
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, str)}


class _Where:
    """Where characters stand as the turn goes: the world's locations, a character
    without one at `worldState.place` (the starting place), MOVEs of this turn applied.

    The places an intent may name are the world's declared ones (`worldState.places`)
    and the starting place: common knowledge. Where other characters happen to stand is
    not, so it never makes a place known (a warning would tell the player someone is
    there)."""

    def __init__(self, world_state: dict[str, Any]) -> None:
        self._locations = _strings(world_state.get("locations"))
        start = world_state.get("place")
        self._start = start if isinstance(start, str) and start.strip() else None
        declared = world_state.get("places")
        named = [p for p in declared if isinstance(p, str)] if isinstance(declared, list) else []
        known = {*named, *([self._start] if self._start else [])}
        # Longest first, so "the great hall" is found before "hall".
        self._known = sorted((p for p in known if p.strip()), key=len, reverse=True)

    def of(self, character_id: uuid.UUID) -> str | None:
        return self._locations.get(str(character_id), self._start)

    def move(self, character_id: uuid.UUID, place: str) -> None:
        self._locations[str(character_id)] = place

    def named_elsewhere(self, intent: str, here: str | None) -> str | None:
        """A known place other than `here` that the intent names, unless it also names
        `here` (then it speaks of both, and may well act here)."""
        text = intent.casefold()
        named: list[str] = []
        for place in self._known:
            pattern = rf"(?<![\w]){re.escape(place.casefold())}(?![\w])"
            if re.search(pattern, text):
                named.append(place)
                text = re.sub(pattern, " ", text)  # a longer name hides the shorter in it
        if here is not None and any(p.casefold() == here.casefold() for p in named):
            return None
        return next((p for p in named if here is None or p.casefold() != here.casefold()), None)


# Statements: "X is Y", "X is in Y", "X is not Y", normalised and compared structurally.


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CONTRACTIONS = {
    "isn't": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "weren't": "were not",
    "ain't": "is not",
}
_COPULAS = frozenset({"is", "are", "was", "were"})
_ARTICLES = frozenset({"the", "a", "an"})
_NEGATIONS = frozenset({"not", "never"})
# Words that end a subject when reading back from the copula: the speaker's framing.
_FRAMING = _words(
    "that i you we they think swear know believe say said tell told and but so because "
    "if when yes no listen look sure certain promise heard guess suppose reckon bet "
    "remember trust me us him her them"
)
# Subjects too vague to hold a speaker to.
_VAGUE = _words("he she it they this that there here who what which everything nothing")
# Words that end a predicate.
_CLAUSE_END = _words("and but because so which who while though although unless")
# Marks of a change rather than a contradiction ("the door is no longer locked").
_CHANGE = frozenset({"longer", "anymore", "now"})
_RETRACTION = ("i lied", "i was wrong", "i was mistaken", "i take it back", "i take that back")
_OPPOSITES = {
    frozenset(pair)
    for pair in (
        ("alive", "dead"),
        ("open", "closed"),
        ("open", "shut"),
        ("locked", "unlocked"),
        ("true", "false"),
        ("guilty", "innocent"),
        ("safe", "dangerous"),
        ("friend", "enemy"),
        ("friendly", "hostile"),
        ("empty", "full"),
        ("awake", "asleep"),
        ("real", "fake"),
        ("armed", "unarmed"),
        ("loyal", "traitor"),
        ("here", "gone"),
    )
}
_SUBJECT_MAX = 4
_PREDICATE_MAX = 6


@dataclass(frozen=True)
class Statement:
    subject: tuple[str, ...]
    predicate: tuple[str, ...]
    negated: bool

    @property
    def text(self) -> str:
        verb = "is not" if self.negated else "is"
        return " ".join([*self.subject, verb, *self.predicate])

    def concerns(self, other: Statement) -> bool:
        """Whether both speak of the same matter (one may settle the other)."""
        return self.subject == other.subject and (
            self.predicate == other.predicate or _opposite(self.predicate, other.predicate)
        )

    def contradicts(self, other: Statement) -> bool:
        if self.subject != other.subject:
            return False
        if self.predicate == other.predicate:
            return self.negated != other.negated
        if self.negated or other.negated:
            return False
        return _opposite(self.predicate, other.predicate)


def _opposite(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Predicates alike but for their last word, which are opposites ("in a locked
    room" / "in an unlocked room"), or that open with opposites ("full of wine" /
    "empty")."""
    if frozenset((a[0], b[0])) in _OPPOSITES:
        return True
    if len(a) != len(b) or a[:-1] != b[:-1]:
        return False
    return frozenset((a[-1], b[-1])) in _OPPOSITES


def statements(text: str) -> list[Statement]:
    """The "X is (not) Y" statements a text makes, clause by clause."""
    lowered = text.casefold().replace("\u2019", "'")
    for short, long in _CONTRACTIONS.items():
        lowered = re.sub(rf"\b{re.escape(short)}", long, lowered)
    found = []
    for clause in re.split(r"[.!?;,:\"()\n]+|\b(?:and|but|because|while|though|unless)\b", lowered):
        statement = _statement(re.findall(r"[a-z0-9']+", clause))
        if statement is not None:
            found.append(statement)
    return found


def _statement(words: list[str]) -> Statement | None:
    at = next((i for i, w in enumerate(words) if w in _COPULAS and i > 0), None)
    if at is None or _CHANGE.intersection(words):
        return None
    subject: list[str] = []
    for word in reversed(words[:at]):
        if word in _FRAMING or len(subject) == _SUBJECT_MAX:
            break
        if word not in _ARTICLES:
            subject.insert(0, word)
    if not subject or (len(subject) == 1 and subject[0] in _VAGUE):
        return None
    rest = words[at + 1 :]
    negated = bool(rest) and rest[0] in _NEGATIONS
    predicate: list[str] = []
    for word in rest[1:] if negated else rest:
        if word in _CLAUSE_END or len(predicate) == _PREDICATE_MAX:
            break
        if word not in _ARTICLES:
            predicate.append(word)
    if not predicate:
        return None
    return Statement(tuple(subject), tuple(predicate), negated)


def contradiction(intent: str, earlier: Sequence[Said]) -> tuple[Said, Statement, Statement] | None:
    """The earlier words, the statement in them and the statement of the intent that
    contradicts it, for the first such statement; None when the intent retracts ("I
    lied", "I was wrong") or contradicts nothing. `earlier` is newest first, and only a
    speaker's latest word on a matter counts: "the door is open", then "the door is
    not open", then "the door is not open" again contradicts nothing."""
    if any(mark in intent.casefold() for mark in _RETRACTION):
        return None
    now = statements(intent)
    if not now:
        return None
    latest: list[tuple[Said, Statement]] = []
    for said in earlier:
        for before in statements(said.message):
            if not any(before.concerns(kept) for _, kept in latest):
                latest.append((said, before))
    for statement in now:
        for said, before in latest:
            if statement.contradicts(before):
                return said, before, statement
    return None
