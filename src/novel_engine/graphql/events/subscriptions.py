"""Live subscriptions: a campaign's events, and which of its members are connected."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated

import strawberry

from novel_engine.graphql.context import Info
from novel_engine.graphql.events.presence import presence_changes
from novel_engine.graphql.events.types import DomainEvent
from novel_engine.graphql.identity.types import User


@strawberry.type(description="Who of a campaign's members is connected, and what changed.")
class PresenceUpdate:
    campaign_id: strawberry.ID
    online: list[User]
    joined: list[User]
    left: list[User]


class LivePathOnly(RuntimeError):
    """campaignEvents was run some way other than the live path."""


@strawberry.type
class EventsSubscription:
    @strawberry.subscription(
        description="A campaign's events, members only, as the viewer may see them: "
        "everything for its OWNER and GAMEMASTERs and in an OMNISCIENT campaign; in a "
        "THROUGH_CHARACTERS campaign only what the characters the viewer plays perceived, "
        "redacted where they perceived part. With `after` (a cursor from an earlier "
        "event), every later event is first replayed from the event store, in order, then "
        "the stream continues live with no gap and no duplicate. A stream that sees "
        "through characters ends with VIEWPOINT_CHANGED after an event that changes what "
        "its viewer sees; subscribe again after that event's cursor."
    )
    async def campaign_events(
        self,
        info: Info,
        campaign_id: strawberry.ID,
        after: str | None = None,
        as_character: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="See the campaign through one character: only what it "
                "perceived. Allowed to the character's player, the OWNER and GAMEMASTERs."
            ),
        ] = None,
    ) -> AsyncGenerator[DomainEvent, None]:
        """Declares the field. Its events come from the live path
        (`graphql.events.live`), which shares one render per group of subscribers and
        counts them in presence; running it any other way would quietly drop those
        guarantees, so it fails instead."""
        raise LivePathOnly("campaignEvents is served by the live path only.")

    @strawberry.subscription(
        description="Which members of a campaign are connected (members only): the current "
        "set first, then every change, including abrupt disconnects."
    )
    async def presence(
        self, info: Info, campaign_id: strawberry.ID
    ) -> AsyncGenerator[PresenceUpdate, None]:
        changes = presence_changes(info.context, campaign_id)
        async with aclosing(changes):
            async for change in changes:
                yield PresenceUpdate(
                    campaign_id=strawberry.ID(str(change.campaign_id)),
                    online=[User.from_model(u) for u in change.online],
                    joined=[User.from_model(u) for u in change.joined],
                    left=[User.from_model(u) for u in change.left],
                )
