"""The Campaign aggregate: members with roles, characters, and a versioned world state."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from novel_engine.domain.actor import Actor
from novel_engine.domain.aggregate import Aggregate
from novel_engine.domain.character import Character
from novel_engine.domain.errors import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    NotFound,
    VersionConflict,
)
from novel_engine.domain.events import AggregateType, DomainEvent, EventType, utcnow
from novel_engine.domain.perception import Perspective, world_perceivers
from novel_engine.domain.values import (
    NAME_MAX,
    TEXT_MAX,
    require_json_object,
    require_text,
    same_json,
)

if TYPE_CHECKING:
    from novel_engine.domain.commands import CreateCampaign

MAX_MEMBERS = 500
MAX_CHARACTERS = 500
NARRATION_STYLE_MAX = 500


class CampaignRole(Enum):
    OWNER = "owner"
    GAMEMASTER = "gamemaster"
    COAUTHOR = "coauthor"
    VIEWER = "viewer"


DIRECTING_ROLES = frozenset({CampaignRole.OWNER, CampaignRole.GAMEMASTER})


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    role: CampaignRole
    joined_at: datetime


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: objects merge, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@dataclass(kw_only=True)
class Campaign(Aggregate):
    aggregate_type = AggregateType.CAMPAIGN

    owner_id: uuid.UUID
    name: str
    description: str
    world_state: dict[str, Any]
    world_version: int = 1
    members: dict[uuid.UUID, Member] = field(default_factory=dict)
    character_ids: list[uuid.UUID] = field(default_factory=list)
    # Cast members played by a persona agent rather than by their owner.
    ai_character_ids: set[uuid.UUID] = field(default_factory=set)
    # How the chronicler writes this campaign's turns ("" = the genre's own voice).
    narration_style: str = ""
    # Whether co-authors see the whole story or only what their characters perceived.
    perspective: Perspective = Perspective.OMNISCIENT
    # Refuse incoherent turns rather than warn about them.
    strict_coherence: bool = False
    # A branch of another campaign, taken at one of its events.
    forked_from: uuid.UUID | None = None
    forked_at_event: uuid.UUID | None = None

    @classmethod
    def create(cls, actor: Actor, command: CreateCampaign) -> Campaign:
        owner_id = actor.require_user()
        campaign = cls(
            owner_id=owner_id,
            name=require_text(command.name, "name", max_length=NAME_MAX),
            description=require_text(
                command.description, "description", max_length=TEXT_MAX, allow_empty=True
            ),
            world_state=require_json_object(command.world_state, "worldState"),
            narration_style=require_text(
                command.narration_style,
                "narrationStyle",
                max_length=NARRATION_STYLE_MAX,
                allow_empty=True,
            ),
        )
        campaign.members[owner_id] = Member(owner_id, CampaignRole.OWNER, campaign.created_at)
        campaign._record(
            actor,
            EventType.CAMPAIGN_CREATED,
            {
                "campaignId": str(campaign.id),
                "name": campaign.name,
                "description": campaign.description,
                "configuration": {"narrationStyle": campaign.narration_style},
                "createdBy": str(owner_id),
                "initialParticipants": [str(owner_id)],
                "worldState": campaign.world_state,
            },
        )
        return campaign

    def record_fork(self, actor: Actor, payload: dict[str, Any]) -> None:
        """This new campaign is a branch of another (domain/fork.py): its copied history
        is already among its events; the fork itself comes last."""
        self._record(actor, EventType.CAMPAIGN_FORKED, payload)

    def role_of(self, user_id: uuid.UUID | None) -> CampaignRole | None:
        member = self.members.get(user_id) if user_id is not None else None
        return member.role if member else None

    def ensure_visible_to(self, actor: Actor) -> CampaignRole:
        """Members see the campaign; to anyone else it does not exist."""
        role = self.role_of(actor.user_id)
        if role is None:
            raise NotFound("No campaign with this id.", "campaignId")
        return role

    def ensure_can_direct(self, actor: Actor) -> CampaignRole:
        """OWNER and GAMEMASTER direct: change the world, add members, run sessions."""
        role = self.ensure_visible_to(actor)
        if role not in DIRECTING_ROLES:
            raise Forbidden("Only the campaign's owner or a gamemaster can do this.")
        return role

    def add_member(self, actor: Actor, user_id: uuid.UUID, role: CampaignRole) -> Member:
        acting_role = self.ensure_can_direct(actor)
        if role is CampaignRole.OWNER:
            raise InvalidInput("A campaign has exactly one owner.", "role")
        if role is CampaignRole.GAMEMASTER and acting_role is not CampaignRole.OWNER:
            raise Forbidden("Only the owner can appoint gamemasters.")
        if user_id in self.members:
            raise AlreadyExists("This user is already a member of the campaign.", "email")
        if len(self.members) >= MAX_MEMBERS:
            raise InvalidInput(f"A campaign has at most {MAX_MEMBERS} members.", "email")
        member = Member(user_id, role, utcnow())
        self.members[user_id] = member
        self._touch()
        self._record(
            actor,
            EventType.CAMPAIGN_MEMBER_ADDED,
            {
                "campaignId": str(self.id),
                "userId": str(user_id),
                "role": role.value,
                "addedBy": str(actor.user_id),
            },
        )
        return member

    def add_character(
        self, actor: Actor, character: Character, *, ai_controlled: bool = False
    ) -> None:
        role = self.ensure_visible_to(actor)
        if role is CampaignRole.VIEWER:
            raise Forbidden("Viewers cannot add characters.")
        if not character.is_visible_to(actor.user_id):
            raise NotFound("No character with this id.", "characterId")
        if role is CampaignRole.COAUTHOR and character.owner_id != actor.user_id:
            raise Forbidden("Co-authors can add only their own characters.")
        if character.id in self.character_ids:
            raise AlreadyExists("This character is already in the campaign.", "characterId")
        if len(self.character_ids) >= MAX_CHARACTERS:
            raise InvalidInput(
                f"A campaign has at most {MAX_CHARACTERS} characters.", "characterId"
            )
        self.character_ids.append(character.id)
        if ai_controlled:
            self.ai_character_ids.add(character.id)
        self._touch()
        self._record(
            actor,
            EventType.CAMPAIGN_CHARACTER_ADDED,
            {
                "campaignId": str(self.id),
                "characterId": str(character.id),
                "characterName": character.name,
                "controlledBy": str(character.owner_id),
                "aiControlled": ai_controlled,
                "addedBy": str(actor.user_id),
            },
        )

    def remove_deleted_character(
        self, actor: Actor, character: Character, deletion: DomainEvent
    ) -> None:
        """`character`'s owner deleted it: it leaves the cast; turns keep the id they recorded."""
        character.ensure_managed_by(actor)
        if character.id not in self.character_ids:
            return
        self.character_ids.remove(character.id)
        self._touch()
        self._record(
            actor,
            EventType.CAMPAIGN_CHARACTER_REMOVED,
            {
                "campaignId": str(self.id),
                "characterId": str(character.id),
                "characterName": character.name,
                "removalReason": "character-deleted",
                "removedBy": str(actor.user_id),
                "version": self.version,
            },
            caused_by=deletion,
        )

    def update_settings(
        self,
        actor: Actor,
        narration_style: str | None = None,
        perspective: Perspective | None = None,
        strict_coherence: bool | None = None,
    ) -> None:
        """Change how the campaign is told and seen (OWNER and GAMEMASTER). A change that
        changes nothing writes nothing."""
        self.ensure_can_direct(actor)
        wanted: dict[str, Any] = {}
        if narration_style is not None:
            wanted["narrationStyle"] = require_text(
                narration_style, "narrationStyle", max_length=NARRATION_STYLE_MAX, allow_empty=True
            )
        if perspective is not None:
            wanted["perspective"] = perspective.value
        if strict_coherence is not None:
            wanted["strictCoherence"] = strict_coherence
        previous = self.settings()
        changes = {k: v for k, v in wanted.items() if previous[k] != v}
        if not changes:
            return
        self.narration_style = changes.get("narrationStyle", self.narration_style)
        self.perspective = Perspective(changes.get("perspective", self.perspective.value))
        self.strict_coherence = changes.get("strictCoherence", self.strict_coherence)
        self._touch()
        self._record(
            actor,
            EventType.CAMPAIGN_SETTINGS_CHANGED,
            {
                "campaignId": str(self.id),
                "changes": changes,
                "previousValues": {k: previous[k] for k in changes},
                "changedBy": str(actor.user_id),
            },
        )

    def settings(self) -> dict[str, Any]:
        """The settings as events name them."""
        return {
            "narrationStyle": self.narration_style,
            "perspective": self.perspective.value,
            "strictCoherence": self.strict_coherence,
        }

    def sees_everything(self, user_id: uuid.UUID | None) -> bool:
        """Whether `user_id` sees the whole story: everyone in an omniscient campaign,
        only OWNER and GAMEMASTER in one seen through characters."""
        role = self.role_of(user_id)
        if role is None:
            return False
        return self.perspective is Perspective.OMNISCIENT or role in DIRECTING_ROLES

    def update_world_state(
        self,
        actor: Actor,
        patch: Any,
        expected_version: int,
        *,
        reason: str = "",
        session_id: uuid.UUID | None = None,
    ) -> None:
        """Apply a JSON merge patch if `expected_version` is the current world version.

        A patch that changes nothing writes nothing: no event, no new version.
        """
        self.ensure_can_direct(actor)
        patch = require_json_object(patch, "patch")
        if expected_version != self.world_version:
            raise VersionConflict(expected_version, self.world_version)
        change = self.apply_patch(actor, patch, reason, session_id)
        if change is not None:
            self._record(actor, EventType.WORLD_STATE_CHANGED, change)

    def apply_patch(
        self, actor: Actor, patch: dict[str, Any], reason: str, session_id: uuid.UUID | None
    ) -> dict[str, Any] | None:
        """Merge `patch` into the world and return the world.state-changed payload, or
        None when the world would stay the same (then nothing changes).

        The caller has checked the right to change the world and records the event.
        """
        change_reason = require_text(reason, "reason", max_length=TEXT_MAX, allow_empty=True)
        new_state = require_json_object(merge_patch(self.world_state, patch), "patch")
        if same_json(new_state, self.world_state):
            return None
        previous = {key: copy.deepcopy(self.world_state.get(key)) for key in patch}
        cast = [str(c) for c in self.character_ids]
        perceived = world_perceivers(self.world_state, patch, new_state, cast)
        self.world_state = new_state
        self.world_version += 1
        self._touch()
        return {
            "campaignId": str(self.id),
            "sessionId": str(session_id) if session_id else None,
            "changes": patch,
            "previousState": previous,
            "changeReason": change_reason,
            "changedBy": str(actor.user_id),
            "timestamp": self.updated_at.isoformat(),
            "worldVersion": self.world_version,
            # Who saw each character's move or change of condition (domain/perception.py).
            "perceivedBy": perceived,
        }

    def ensure_can_play(self, actor: Actor) -> CampaignRole:
        """Everyone but viewers takes part in sessions."""
        role = self.ensure_visible_to(actor)
        if role is CampaignRole.VIEWER:
            raise Forbidden("Viewers watch; they do not act.")
        return role
