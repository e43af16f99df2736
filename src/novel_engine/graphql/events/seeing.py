"""What a member may see of a campaign: the one place every read path asks.

`viewpoint_of` decides, once per operation, how a user sees a campaign: everything, or
through a set of characters. `seen` applies that to one event from the event alone (the
rules are `domain.perception`), so a live group filters without reading the store.

- OWNER and GAMEMASTER see everything, and may look through any character of the cast.
- In an OMNISCIENT campaign every member sees everything.
- In a THROUGH_CHARACTERS campaign a co-author sees what the characters it plays
  perceived (the union); a viewer plays none and sees only the campaign's frame.
- `asCharacter` narrows anyone to one character: its controller (the user who plays
  it; a persona agent's character has none), or an OWNER or GAMEMASTER.

`seen_by` is the same rule for one event reached in a read (a cause, an effect); an event
rendered for a live group (no viewer of its own) is seen as that group's viewpoint sees
it (`RequestContext.live_view`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from strawberry.dataloader import DataLoader

from novel_engine.domain.campaign import DIRECTING_ROLES, CampaignRole
from novel_engine.domain.errors import Forbidden, NotFound
from novel_engine.domain.events import AggregateType, EventType, StoredEvent
from novel_engine.domain.perception import Perspective, perceive
from novel_engine.graphql.campaigns.loaders import CampaignByIdLoader, CastByCampaignIdLoader
from novel_engine.graphql.campaigns.membership import role_of
from novel_engine.graphql.context import RequestContext
from novel_engine.graphql.events.loaders import ActionEventsByTurnLoader
from novel_engine.graphql.ids import parse_id
from novel_engine.graphql.pagination import (
    Page,
    check_first,
    page_of,
    parse_position_cursor,
    position_cursor,
)
from novel_engine.persistence.queries import PageKey

AS_CHARACTER = "asCharacter"
# Events read at a time while filling a page for a viewpoint that hides some.
SCAN_BATCH = 200


@dataclass(frozen=True)
class Viewpoint:
    """What a reader may see of a campaign's events; part of a live group's key.

    `characters` is None for everything, else the characters looked through (none for a
    viewer of a campaign seen through characters). The other fields say what the
    viewpoint was decided from, so a live stream knows when an event outdates it:
    `perspective` when the campaign's setting decided it, `player` when the characters
    its user plays did, `through` when `asCharacter` chose one.
    """

    characters: frozenset[uuid.UUID] | None = None
    perspective: Perspective | None = None
    player: uuid.UUID | None = None
    through: uuid.UUID | None = None

    @property
    def sees_everything(self) -> bool:
        return self.characters is None

    def perceive(self, stored: StoredEvent) -> StoredEvent | None:
        """The event as seen from here, or None when it is not seen at all."""
        return seen(self, stored)

    def outdated_by(self, stored: StoredEvent) -> bool:
        """Whether, after this event, `viewpoint_of` would decide differently: the
        perspective it followed changed, the player gained or lost a character, or the
        character looked through left the cast."""
        event, payload = stored.event, stored.event.payload
        if event.event_type is EventType.CAMPAIGN_SETTINGS_CHANGED:
            wanted = (payload.get("changes") or {}).get("perspective")
            return self.perspective is not None and wanted not in (None, self.perspective.value)
        if event.event_type is EventType.CAMPAIGN_CHARACTER_ADDED:
            added = uuid.UUID(payload["characterId"])
            played = self.player is not None and not payload.get("aiControlled")
            new = self.characters is not None and added not in self.characters
            return played and new and payload.get("controlledBy") == str(self.player)
        if event.event_type is EventType.CAMPAIGN_CHARACTER_REMOVED:
            removed = uuid.UUID(payload["characterId"])
            through_it = self.player is not None or self.through == removed
            return through_it and self.characters is not None and removed in self.characters
        return False


EVERYTHING = Viewpoint()


def seen(viewpoint: Viewpoint, stored: StoredEvent) -> StoredEvent | None:
    """`stored` as seen from the viewpoint: whole, redacted, or None (not seen)."""
    if viewpoint.characters is None:
        return stored
    event = stored.event
    payload = perceive(event.event_type, event.payload, viewpoint.characters)
    if payload is None:
        return None
    if payload is event.payload:
        return stored
    return StoredEvent(replace(event, payload=payload), stored.position)


async def viewpoint_of(
    ctx: RequestContext, campaign_id: uuid.UUID, as_character: str | None = None
) -> Viewpoint:
    """How the viewer sees the campaign (see the module's rules). Raises NotFound for a
    non-member, a character not in the cast or not visible to the viewer, and
    Forbidden for a character the viewer may see but does not play."""
    if as_character is None and campaign_id in ctx.viewpoints:
        return ctx.viewpoints[campaign_id]  # decided earlier in this operation, or its group's
    role = await role_of(ctx, campaign_id)
    if role is None:
        raise NotFound("No campaign with this id.", "campaignId")
    if as_character is not None:
        return await _through_one(ctx, campaign_id, role, as_character)
    viewpoint = ctx.viewpoints[campaign_id] = await _of_member(ctx, campaign_id, role)
    return viewpoint


async def _of_member(ctx: RequestContext, campaign_id: uuid.UUID, role: CampaignRole) -> Viewpoint:
    if role in DIRECTING_ROLES:
        return EVERYTHING
    campaign = await ctx.loader(CampaignByIdLoader).load(campaign_id)
    if campaign is None or campaign.perspective is Perspective.OMNISCIENT:
        return Viewpoint(perspective=Perspective.OMNISCIENT)
    through = Perspective.THROUGH_CHARACTERS
    if role is CampaignRole.VIEWER:
        return Viewpoint(frozenset(), perspective=through)
    cast = await ctx.loader(CastByCampaignIdLoader).load(campaign_id)
    played = frozenset(c.character_id for c in cast if c.controller == ctx.user_id)
    return Viewpoint(played, perspective=through, player=ctx.user_id)


async def _through_one(
    ctx: RequestContext, campaign_id: uuid.UUID, role: CampaignRole, as_character: str
) -> Viewpoint:
    character_id = parse_id(as_character)
    cast = await ctx.loader(CastByCampaignIdLoader).load(campaign_id)
    found = next((c for c in cast if c.character_id == character_id), None)
    if found is None or not (role in DIRECTING_ROLES or found.is_visible_to(ctx.user_id)):
        raise NotFound("No character with this id in this campaign.", AS_CHARACTER)
    if role not in DIRECTING_ROLES and found.controller != ctx.user_id:
        raise Forbidden("You can look only through a character you play.", AS_CHARACTER)
    return Viewpoint(frozenset({found.character_id}), through=found.character_id)


async def witnessed_actions(
    ctx: RequestContext, campaign_id: uuid.UUID, turn_id: uuid.UUID
) -> frozenset[int] | None:
    """Which of a turn's actions (its actions in order, then its reactions) the viewer
    may see: None for all; else the indices of those one of its characters witnessed,
    read from the turn's action events (batched across turns)."""
    viewpoint = await viewpoint_of(ctx, campaign_id)
    if viewpoint.sees_everything:
        return None
    recorded = await ctx.loader(ActionEventsByTurnLoader).load((campaign_id, turn_id))
    return frozenset(i for i, stored in enumerate(recorded) if seen(viewpoint, stored))


async def seen_page(
    loader: DataLoader[PageKey, list[StoredEvent]],
    campaign_id: uuid.UUID,
    viewpoint: Viewpoint,
    first: int | None,
    after: str | None,
) -> Page[StoredEvent]:
    """A page of the campaign's events as the viewpoint sees them: `first` seen events
    after the cursor, reading on past hidden ones. Hidden events get no edge and no
    cursor, and `hasNextPage` is true only when a seen event follows."""
    limit = check_first(first)
    start = parse_position_cursor(after)
    shown: list[StoredEvent] = []
    scanned, batch = start, max(limit + 1, SCAN_BATCH)
    while len(shown) <= limit:
        found = await loader.load((campaign_id, scanned, batch))
        for stored in found:
            scanned = stored.position
            visible = seen(viewpoint, stored)
            if visible is not None:
                shown.append(visible)
                if len(shown) > limit:
                    break
        if len(found) < batch:
            break
    items = [(position_cursor(s.position), s) for s in shown]
    return page_of(items, limit, after_given=start > 0)


async def seen_by(
    ctx: RequestContext, campaign_id: uuid.UUID, stored: StoredEvent
) -> StoredEvent | None:
    """`stored`, an event of campaign `campaign_id`, as the viewer sees it: whole,
    redacted (the parts none of its characters perceived removed) or None."""
    stream = stored.event.stream
    if stream.kind is not AggregateType.CAMPAIGN or stream.id != campaign_id:
        return None
    if ctx.live_view is not None:
        if ctx.live_view.campaign_id != campaign_id:
            return None
        return ctx.live_view.perceive(stored)
    try:
        viewpoint = await viewpoint_of(ctx, campaign_id)
    except NotFound:
        return None
    return seen(viewpoint, stored)


async def seen_in_its_campaign(ctx: RequestContext, stored: StoredEvent) -> StoredEvent | None:
    """An event reached from another (a cause, an effect) as the viewer sees it; only
    campaigns' events are ever reached."""
    return await seen_by(ctx, stored.event.stream.id, stored)
