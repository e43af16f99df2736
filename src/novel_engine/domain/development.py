"""How play develops a character's personality: runs of the same outcome drift it.

Pure and deterministic. Every action that can fail tells its actor and its targets
something (`signals`); each signal extends or breaks a run (three failures of the
character's own actions in a row, three attacks in a row, three kind words received in
a row...). A run that reaches `RUN_LENGTH` moves some traits by a small step and starts
over. The personality never drifts more than `MAX_DRIFT` from its baseline (what it was
when the character first developed) and never leaves 0..1. The table is documented in
docs/decisions/0017-character-development.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from novel_engine.domain.actions import Action, ActionKind

TRAITS = ("openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism")
RUN_LENGTH = 3  # how many times in a row an outcome repeats before it leaves a mark
MAX_DRIFT = 0.25  # how far play may move a trait from its baseline, either way
DECIMALS = 4


class Signal(Enum):
    """What one action says about a character taking part in it."""

    SUCCEEDED = "succeeded"  # its own action (one that can fail) succeeded
    FAILED = "failed"
    ATTACKED = "attacked"  # it attacked someone
    ACTED_OTHERWISE = "acted-otherwise"  # it spoke, used a skill or interacted
    SPOKEN_TO_KINDLY = "spoken-to-kindly"  # a dialogue addressed to it succeeded
    SPOKEN_TO_HARSHLY = "spoken-to-harshly"  # a dialogue addressed to it failed
    WAS_ATTACKED = "was-attacked"


@dataclass(frozen=True)
class _Rule:
    run: str  # the run a signal extends
    streak: str  # what repeats in that run
    steps: Mapping[str, float]  # trait -> change when the run completes
    reason: str


# Each signal extends one run, or breaks one (None: it extends nothing).
_EXTENDS: dict[Signal, _Rule] = {
    Signal.FAILED: _Rule(
        "outcome",
        "failure",
        {"neuroticism": 0.02, "extraversion": -0.02},
        f"{RUN_LENGTH} of its own actions failed in a row",
    ),
    Signal.SUCCEEDED: _Rule(
        "outcome",
        "success",
        {"neuroticism": -0.02, "extraversion": 0.02},
        f"{RUN_LENGTH} of its own actions succeeded in a row",
    ),
    Signal.ATTACKED: _Rule(
        "aggression",
        "attack",
        {"agreeableness": -0.03},
        f"it attacked {RUN_LENGTH} times in a row",
    ),
    Signal.SPOKEN_TO_KINDLY: _Rule(
        "kindness",
        "kind-words",
        {"agreeableness": 0.02},
        f"it was spoken to kindly {RUN_LENGTH} times in a row",
    ),
}
_BREAKS: dict[Signal, str] = {
    Signal.ACTED_OTHERWISE: "aggression",
    Signal.SPOKEN_TO_HARSHLY: "kindness",
    Signal.WAS_ATTACKED: "kindness",
}
MAX_STEP = max(abs(s) for rule in _EXTENDS.values() for s in rule.steps.values())


@dataclass(frozen=True)
class Run:
    """An outcome repeating: what repeats and the events that repeated it."""

    streak: str
    events: tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class Development:
    """Where a character's personality started from in play, and the runs under way."""

    baseline: Mapping[str, float]
    runs: Mapping[str, Run] = field(default_factory=dict)

    def drift(self, personality: Mapping[str, float]) -> dict[str, float]:
        """How far each trait now stands from the baseline."""
        return {t: round(personality[t] - self.baseline[t], DECIMALS) for t in TRAITS}

    def as_dict(self) -> dict[str, Any]:
        return {
            "baseline": {t: self.baseline[t] for t in TRAITS},
            "runs": {
                name: {"streak": run.streak, "events": [str(e) for e in run.events]}
                for name, run in sorted(self.runs.items())
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Development:
        runs = data.get("runs") or {}
        return cls(
            baseline={t: float(data["baseline"][t]) for t in TRAITS},
            runs={
                name: Run(str(run["streak"]), tuple(uuid.UUID(e) for e in run["events"]))
                for name, run in runs.items()
            },
        )


@dataclass(frozen=True)
class Evolution:
    """A change of personality: the new traits, the change of each, and why."""

    traits: dict[str, float]
    trait_changes: dict[str, float]
    triggering_events: tuple[uuid.UUID, ...]
    reason: str


def signals(action: Action, success: bool) -> dict[uuid.UUID, list[Signal]]:
    """What an action, judged, says about each character taking part. Waiting and
    moving cannot fail and say nothing."""
    if action.kind in (ActionKind.WAIT, ActionKind.MOVE):
        return {}
    actor = action.character_id
    found: dict[uuid.UUID, list[Signal]] = {
        actor: [
            Signal.SUCCEEDED if success else Signal.FAILED,
            Signal.ATTACKED if action.kind is ActionKind.ATTACK else Signal.ACTED_OTHERWISE,
        ]
    }
    for target in dict.fromkeys(action.target_ids):
        if target == actor:
            continue
        if action.kind is ActionKind.DIALOGUE:
            found[target] = [Signal.SPOKEN_TO_KINDLY if success else Signal.SPOKEN_TO_HARSHLY]
        elif action.kind is ActionKind.ATTACK:
            found[target] = [Signal.WAS_ATTACKED]
    return found


def observe(
    development: Development | None,
    personality: Mapping[str, float],
    observed: Sequence[Signal],
    event_id: uuid.UUID,
) -> tuple[Development, Evolution | None]:
    """The development after the event `event_id` said `observed` about the character,
    and the change of personality it brings, if any. The first observation takes the
    current personality as the baseline."""
    baseline = development.baseline if development else dict(personality)
    runs = dict(development.runs) if development else {}
    steps = dict.fromkeys(TRAITS, 0.0)
    triggering: list[uuid.UUID] = []
    reasons: list[str] = []
    for signal in observed:
        if signal in _BREAKS:
            runs.pop(_BREAKS[signal], None)
            continue
        rule = _EXTENDS[signal]
        run = runs.get(rule.run)
        events = run.events if run is not None and run.streak == rule.streak else ()
        events = (*events, event_id)
        if len(events) < RUN_LENGTH:
            runs[rule.run] = Run(rule.streak, events)
            continue
        runs.pop(rule.run)
        for trait, step in rule.steps.items():
            steps[trait] += step
        triggering.extend(e for e in events if e not in triggering)
        reasons.append(rule.reason)
    developed = Development(baseline, runs)
    if not reasons:
        return developed, None
    traits = {t: _bounded(personality[t], steps[t], baseline[t]) for t in TRAITS}
    changes = {t: round(traits[t] - personality[t], DECIMALS) for t in TRAITS}
    if not any(changes.values()):  # every trait it would move is at its bound already
        return developed, None
    return developed, Evolution(
        traits, changes, tuple(triggering), "; ".join(reasons).capitalize() + "."
    )


def _bounded(value: float, step: float, baseline: float) -> float:
    if not step:
        return value
    low, high = max(0.0, baseline - MAX_DRIFT), min(1.0, baseline + MAX_DRIFT)
    # Rounded first, then bounded: a baseline with more decimals keeps its bound exactly.
    return min(high, max(low, round(value + step, DECIMALS)))
