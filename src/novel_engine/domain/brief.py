"""A character's turn brief: its personalized view of the campaign, the one thing a
persona's prompt is built from and what its player reads before acting.

Where it is, who is there with it, what it believes (with provenance, reliability as
of now in game time), what it perceived lately (each event as it perceived it), and its
goals. Nothing else: no event it did not perceive, no belief of another.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from novel_engine.domain.actor import Actor
from novel_engine.domain.campaign import DIRECTING_ROLES, Campaign
from novel_engine.domain.character import Character, RelationshipType
from novel_engine.domain.director import Places
from novel_engine.domain.errors import Forbidden, NotFound
from novel_engine.domain.events import StoredEvent
from novel_engine.domain.perception import (
    BELIEFS_PROJECTION,
    Belief,
    KnowledgeSource,
    perceive,
)
from novel_engine.domain.ports import UnitOfWork

BELIEFS_IN_BRIEF = 50
RECENT_IN_BRIEF = 20
GOALS_MAX = 10


@dataclass(frozen=True)
class HeldBelief:
    """A belief as the character holds it now: its reliability decayed to this turn."""

    belief: Belief
    reliability: float


@dataclass(frozen=True)
class TurnBrief:
    character: Character
    location: str
    present: tuple[Character, ...]
    beliefs: tuple[HeldBelief, ...]  # newest first
    recent: tuple[StoredEvent, ...]  # oldest first, each as the character perceived it
    goals: tuple[str, ...]
    turn: int  # game time: turns played in the campaign


def where(campaign: Campaign, character_id: uuid.UUID) -> str:
    """The place a character stands: its location, else the campaign's default place
    (`worldState.place`, else the campaign's name, as the chronicler names it)."""
    at = Places(campaign.world_state, campaign.character_ids).of(character_id)
    place = campaign.world_state.get("place")
    return at or (place if isinstance(place, str) and place.strip() else campaign.name)


def build(
    campaign: Campaign,
    character: Character,
    cast: dict[uuid.UUID, Character],
    beliefs: list[Belief],
    perceived: list[StoredEvent],
    turn: int,
) -> TurnBrief:
    """The brief from what the character holds: pure, so a persona's prompt and the
    player's `turnBrief` are the same brief."""
    places = Places(campaign.world_state, campaign.character_ids)
    here = places.of(character.id)
    present = tuple(cast[c] for c in places.present(here) if c != character.id and c in cast)
    held = tuple(HeldBelief(b, b.reliability_at(turn)) for b in beliefs)
    recent = tuple(_as_perceived(s, character.id) for s in perceived)
    seen = tuple(s for s in recent if s is not None)
    return TurnBrief(
        character,
        where(campaign, character.id),
        present,
        held,
        seen,
        goals(campaign, character, present, held),
        turn,
    )


def goals(
    campaign: Campaign,
    character: Character,
    present: tuple[Character, ...],
    held: tuple[HeldBelief, ...],
) -> tuple[str, ...]:
    """What the character wants now: the goals the campaign's world gives it
    (`worldState.goals[characterId]`: a string or a list of them), then what its
    situation asks: a wound to tend, an enemy in the room, a threat it inferred."""
    found: list[str] = []
    given = campaign.world_state.get("goals")
    mine: Any = given.get(str(character.id)) if isinstance(given, dict) else None
    if isinstance(mine, str):
        found.append(mine)
    elif isinstance(mine, list):
        found.extend(g for g in mine if isinstance(g, str))
    conditions = campaign.world_state.get("conditions")
    condition = conditions.get(str(character.id)) if isinstance(conditions, dict) else None
    if isinstance(condition, str) and condition:
        found.append(f"Get your wounds seen to: you are {condition}.")
    enemies = {
        r.related_character_id for r in character.relationships if r.type is RelationshipType.ENEMY
    }
    for other in present:
        if other.id in enemies:
            found.append(f"Watch {other.name}: you count them an enemy, and they are here.")
    threats = (
        h.belief.statement
        for h in held
        if h.belief.source is KnowledgeSource.INFERENCE
        and h.belief.statement.endswith(f"means {character.name} harm.")
    )
    found.extend(f"Stay safe: {threat}" for threat in threats)
    return tuple(dict.fromkeys(found))[:GOALS_MAX]


def _as_perceived(stored: StoredEvent, character_id: uuid.UUID) -> StoredEvent | None:
    event = stored.event
    seen = perceive(event.event_type, event.payload, character_id)
    if seen is None:
        return None
    if seen is event.payload:
        return stored
    return StoredEvent(replace(event, payload=seen), stored.position)


async def load(
    uow: UnitOfWork, campaign: Campaign, character_id: uuid.UUID, *, up_to: int | None = None
) -> TurnBrief:
    """The character's brief in `campaign` as the projections stand, or as they stood at
    position `up_to` of its stream (what a persona knew when it reacted: replay asks
    for it again). Its game turn is then the latest it learned something at."""
    cast = {c.id: c for c in await uow.characters.get_many(campaign.character_ids)}
    character = cast.get(character_id)
    if character is None:
        raise NotFound("No character with this id in the campaign.", "characterId")
    beliefs = await uow.beliefs.held(campaign.id, character_id, BELIEFS_IN_BRIEF, up_to=up_to)
    perceived = await uow.beliefs.perceived(campaign.id, character_id, RECENT_IN_BRIEF, up_to=up_to)
    if up_to is None:
        turn = (await uow.checkpoints.get(campaign.id, BELIEFS_PROJECTION)).turn
    else:
        turn = max((b.learned_at_turn for b in beliefs), default=0)
    return build(campaign, character, cast, beliefs, perceived, turn)


def ensure_may_read(campaign: Campaign, actor: Actor, character: Character) -> None:
    """A brief is its character's player's, and the campaign's OWNER's and GAMEMASTER's;
    an AI-played character's only theirs."""
    role = campaign.role_of(actor.user_id)
    if role is None:
        raise NotFound("No campaign with this id.", "sessionId")
    if role in DIRECTING_ROLES:
        return
    plays = character.owner_id == actor.user_id and character.id not in campaign.ai_character_ids
    if not plays:
        raise Forbidden("Only the character's player, the owner and gamemasters read its brief.")
