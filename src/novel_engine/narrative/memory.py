"""Memory rules: what a perception is worth remembering (importance 1..10), and the
insights a character draws when enough has happened to it (reflection).

The offline model answers by these documented rules (docs/decisions, "memory streams");
a remote model is asked the same through structured output, and an answer that does not
fit (a score out of 1..10, a count that does not match, evidence that points nowhere) is
replaced by these rules for the whole batch, never half used.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence

from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.domain.language import CallKey, JsonSchema, ModelRequest
from novel_engine.domain.memory import (
    MAX_IMPORTANCE,
    MIN_IMPORTANCE,
    Cue,
    ImportanceSheet,
    Insight,
    Note,
    Recollection,
    ReflectionSheet,
    clamp_importance,
)
from novel_engine.narrative.knowledge import Perception

# Importance of a memory by what happened to the character, before adjustments.
BASE_IMPORTANCE: dict[Cue, int] = {
    Cue.ATTACKED: 8,
    Cue.HARMED: 7,
    Cue.ATTACKING: 6,
    Cue.WITNESSED_ATTACK: 6,
    Cue.ADDRESSED: 5,
    Cue.SPOKE: 4,
    Cue.ACTED: 4,
    Cue.CONDITION: 4,
    Cue.OVERHEARD: 3,
    Cue.WITNESSED_ACT: 3,
    Cue.MOVED: 2,
    Cue.SAW_MOVE: 2,
    Cue.WAITED: 1,
    Cue.SAW_WAIT: 1,
}
_ATTACKS = frozenset({Cue.ATTACKED, Cue.WITNESSED_ATTACK})
_OWN_DEEDS = frozenset({Cue.ATTACKING, Cue.ACTED, Cue.MOVED})
# Words that make what was said to a character kind (for "X is on my side").
KIND_WORDS = frozenset(
    {"thank", "thanks", "friend", "welcome", "help", "safe", "trust", "glad", "kind"}
    | {"protect", "together", "gift", "grateful", "dear", "ally"}
)
# How many times a thing must recur among the memories reflected on to give an insight.
RECURRENCE = 2
# At most this many of the latest memories are reflected on at once.
REFLECTION_WINDOW = 50
MAX_INSIGHTS = 3
STATEMENT_MAX = 200

IMPORTANCE_SCHEMA_ITEM: JsonSchema = {"type": "integer", "minimum": 1, "maximum": 10}

SCORER = (
    "You keep a character's memory. For each numbered memory below, rate how much it "
    "matters to that character on a scale of 1 (mundane: waiting, walking) to 10 "
    "(life-changing: being attacked, a wound). Reply with one JSON object "
    '{"scores": [...]} holding one whole number per memory, in order.'
)
REFLECTOR = (
    "You are a character in a story, looking back on your recent memories (numbered). "
    "Draw at most three short insights about the others or about yourself that these "
    "memories support, in the first person. Reply with one JSON object "
    '{"insights": [{"statement": ..., "evidence": [memory numbers], "importance": 1-10}]}; '
    "an empty list when nothing stands out."
)


def note_of(stored: StoredEvent, seen: Perception) -> Note:
    """The memory a perception leaves, with what the importance rules read from the
    event's structure."""
    payload = stored.event.payload
    viewer = seen.character_id
    if stored.event.event_type is EventType.DIALOGUE_EXCHANGED:
        speaker = uuid.UUID(payload["speakerId"])
        if viewer == speaker:
            cue = Cue.SPOKE
        elif payload.get("listenerId") == str(viewer):
            cue = Cue.ADDRESSED
        else:
            cue = Cue.OVERHEARD
        return Note(viewer, seen.kind, seen.account, cue, speaker)
    if stored.event.event_type is EventType.ACTION_PERFORMED:
        actor = uuid.UUID(payload["actingCharacterId"])
        targets = {str(t) for t in payload.get("targetIds", ())}
        succeeded = bool((payload.get("outcome") or {}).get("success"))
        own = viewer == actor
        kind_of = payload.get("actionType")
        if kind_of == "combat":
            cue = (
                Cue.ATTACKING
                if own
                else Cue.ATTACKED
                if str(viewer) in targets
                else Cue.WITNESSED_ATTACK
            )
        elif kind_of == "movement":
            cue = Cue.MOVED if own else Cue.SAW_MOVE
        elif kind_of == "wait":
            cue = Cue.WAITED if own else Cue.SAW_WAIT
        else:
            cue = Cue.ACTED if own else Cue.WITNESSED_ACT
        return Note(viewer, seen.kind, seen.account, cue, actor, succeeded)
    conditions = (payload.get("changes") or {}).get("conditions") or {}
    if str(viewer) in conditions:
        cue = Cue.HARMED
    elif any(str(c) in conditions for c in seen.about):
        cue = Cue.CONDITION
    else:
        cue = Cue.SAW_MOVE
    return Note(viewer, seen.kind, seen.account, cue)


def importance(note: Note) -> int:
    """The offline rule: the base for what happened, then a successful attack counts one
    more and a failed one one less; a deed of its own that failed counts one more (a
    setback sticks). Always within 1..10."""
    score = BASE_IMPORTANCE[note.cue]
    if note.cue in _ATTACKS and note.succeeded is not None:
        score += 1 if note.succeeded else -1
    if note.cue in _OWN_DEEDS and note.succeeded is False:
        score += 1
    return clamp_importance(score)


def importance_request(sheet: ImportanceSheet, key: CallKey) -> ModelRequest:
    lines = [f"{n}. ({note.kind.value}) {note.content}" for n, note in enumerate(sheet.notes, 1)]
    schema: JsonSchema = {
        "type": "object",
        "properties": {
            "scores": {
                "type": "array",
                "items": IMPORTANCE_SCHEMA_ITEM,
                "minItems": len(sheet.notes),
                "maxItems": len(sheet.notes),
            }
        },
        "required": ["scores"],
        "additionalProperties": False,
    }
    return ModelRequest(
        system=SCORER,
        prompt="\n".join(lines),
        key=key,
        temperature=0.0,
        max_tokens=16 + 4 * len(sheet.notes),
        schema=schema,
        subject=sheet,
    )


def scores_of(data: object, sheet: ImportanceSheet) -> list[int] | None:
    """A model's scores when every one is a whole number within 1..10 and there is one
    per note; None otherwise (the batch is then scored by the rules)."""
    found = data.get("scores") if isinstance(data, Mapping) else None
    if not isinstance(found, list) or len(found) != len(sheet.notes):
        return None
    scores = []
    for value in found:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if float(value) != int(value) or not MIN_IMPORTANCE <= value <= MAX_IMPORTANCE:
            return None
        scores.append(int(value))
    return scores


def offline_scores(sheet: ImportanceSheet) -> dict[str, list[int]]:
    return {"scores": [importance(n) for n in sheet.notes]}


def reflect(sheet: ReflectionSheet) -> list[Insight]:
    """The offline rules, in this order, each at most once per reflection:
    - attacked by X at least twice: "X is dangerous to me."
    - kind words said to it by X at least twice: "X is on my side."
    - saw X attack others at least twice: "X is quick to violence."
    - its own deeds failed at least twice: "Things keep going wrong for me."
    An insight is as important as the most important memory it is drawn from."""
    found: list[Insight] = []

    def name(who: uuid.UUID | None) -> str:
        return sheet.names.get(who, "someone") if who else "someone"

    def by_doer(keep: Sequence[Recollection]) -> dict[uuid.UUID, list[Recollection]]:
        grouped: dict[uuid.UUID, list[Recollection]] = {}
        for r in keep:
            if r.note.doer is not None and r.note.doer != sheet.character_id:
                grouped.setdefault(r.note.doer, []).append(r)
        return grouped

    def insight(statement: str, evidence: Sequence[Recollection]) -> Insight:
        refs = tuple(r.ref for r in evidence)
        return Insight(statement, refs, max(r.importance for r in evidence))

    recalled = sheet.recollections
    attacks = by_doer([r for r in recalled if r.note.cue is Cue.ATTACKED])
    kind = by_doer([r for r in recalled if r.note.cue is Cue.ADDRESSED and _kind(r.note)])
    violence = by_doer([r for r in recalled if r.note.cue is Cue.WITNESSED_ATTACK])
    for grouped, says in (
        (attacks, "{} is dangerous to me."),
        (kind, "{} is on my side."),
        (violence, "{} is quick to violence."),
    ):
        for doer, evidence in sorted(grouped.items(), key=lambda g: (-len(g[1]), str(g[0]))):
            if len(evidence) >= RECURRENCE:
                found.append(insight(says.format(name(doer)), evidence))
    failures = [r for r in recalled if r.note.cue in _OWN_DEEDS and r.note.succeeded is False]
    if len(failures) >= RECURRENCE:
        found.append(insight("Things keep going wrong for me.", failures))
    return found[:MAX_INSIGHTS]


def _kind(note: Note) -> bool:
    words = set(re.findall(r"[a-z]+", note.content.lower()))
    return bool(words & KIND_WORDS)


REFLECTION_SCHEMA: JsonSchema = {
    "type": "object",
    "properties": {
        "insights": {
            "type": "array",
            "maxItems": MAX_INSIGHTS,
            "items": {
                "type": "object",
                "properties": {
                    "statement": {"type": "string", "minLength": 1, "maxLength": STATEMENT_MAX},
                    "evidence": {"type": "array", "minItems": 1, "items": {"type": "integer"}},
                    "importance": IMPORTANCE_SCHEMA_ITEM,
                },
                "required": ["statement", "evidence", "importance"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["insights"],
    "additionalProperties": False,
}


def reflection_request(sheet: ReflectionSheet, key: CallKey) -> ModelRequest:
    lines = [f"You are {sheet.name}. Your recent memories:"]
    lines += [f"{r.ref}. {r.note.content}" for r in sheet.recollections]
    return ModelRequest(
        system=REFLECTOR,
        prompt="\n".join(lines),
        key=key,
        temperature=0.3,
        max_tokens=400,
        schema=REFLECTION_SCHEMA,
        subject=sheet,
    )


def offline_insights(sheet: ReflectionSheet) -> dict[str, list[dict[str, object]]]:
    return {
        "insights": [
            {"statement": i.statement, "evidence": list(i.evidence), "importance": i.importance}
            for i in reflect(sheet)
        ]
    }


def insights_of(data: object, sheet: ReflectionSheet) -> list[Insight] | None:
    """A model's insights when each has a statement, evidence that names memories of the
    sheet and an importance within 1..10; None otherwise (the rules answer instead)."""
    found = data.get("insights") if isinstance(data, Mapping) else None
    if not isinstance(found, list) or len(found) > MAX_INSIGHTS:
        return None
    refs = {r.ref for r in sheet.recollections}
    insights = []
    for item in found:
        if not isinstance(item, Mapping):
            return None
        statement, evidence, score = (
            item.get("statement"),
            item.get("evidence"),
            item.get("importance"),
        )
        if not isinstance(statement, str) or not 0 < len(statement.strip()) <= STATEMENT_MAX:
            return None
        if not isinstance(evidence, list) or not evidence:
            return None
        if any(isinstance(e, bool) or not isinstance(e, int) or e not in refs for e in evidence):
            return None
        if isinstance(score, bool) or not isinstance(score, int | float):
            return None
        if float(score) != int(score) or not MIN_IMPORTANCE <= score <= MAX_IMPORTANCE:
            return None
        insights.append(Insight(statement.strip(), tuple(dict.fromkeys(evidence)), int(score)))
    return insights
