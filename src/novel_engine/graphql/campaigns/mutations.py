"""Creating campaigns, bringing people and characters in, and changing the world."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from novel_engine.domain import commands, errors
from novel_engine.domain.campaign import Campaign as CampaignModel
from novel_engine.domain.services import campaigns as service
from novel_engine.graphql.campaigns.inputs import CampaignSettingsInput, CreateCampaignInput
from novel_engine.graphql.campaigns.types import Campaign
from novel_engine.graphql.context import Info
from novel_engine.graphql.enums import CampaignRole
from novel_engine.graphql.errors import Error, ResultUnion
from novel_engine.graphql.ids import require_id
from novel_engine.graphql.pagination import parse_position_cursor

# Every change to a campaign may fail these ways (sessions share them).
CHANGE_ERRORS = (
    errors.InvalidInput,
    errors.NotFound,
    errors.Forbidden,
    errors.AuthenticationRequired,
)
CreateCampaignResult = ResultUnion(
    "CreateCampaignResult", Campaign, errors.InvalidInput, errors.AuthenticationRequired
)
AddCampaignMemberResult = ResultUnion(
    "AddCampaignMemberResult", Campaign, *CHANGE_ERRORS, errors.AlreadyExists
)
AddCampaignCharacterResult = ResultUnion(
    "AddCampaignCharacterResult", Campaign, *CHANGE_ERRORS, errors.AlreadyExists
)
UpdateCampaignSettingsResult = ResultUnion("UpdateCampaignSettingsResult", Campaign, *CHANGE_ERRORS)
ForkCampaignResult = ResultUnion("ForkCampaignResult", Campaign, *CHANGE_ERRORS)
UpdateWorldStateResult = ResultUnion(
    "UpdateWorldStateResult", Campaign, *CHANGE_ERRORS, errors.VersionConflict
)


@strawberry.type
class CampaignsMutation:
    @strawberry.mutation(graphql_type=CreateCampaignResult.annotation)
    async def create_campaign(self, info: Info, input: CreateCampaignInput) -> Campaign | Error:
        ctx = info.context
        return await CreateCampaignResult.attempt(
            lambda: service.create_campaign(
                ctx.uow(),
                ctx.actor(),
                commands.CreateCampaign(
                    input.name,
                    input.description,
                    input.world_state if input.world_state is not None else {},
                    input.narration_style,
                ),
            ),
            Campaign.from_model,
        )

    @strawberry.mutation(graphql_type=AddCampaignMemberResult.annotation)
    async def add_campaign_member(
        self, info: Info, campaign_id: strawberry.ID, email: str, role: CampaignRole
    ) -> Campaign | Error:
        ctx = info.context

        async def run() -> CampaignModel:
            command = commands.AddCampaignMember(
                require_id(campaign_id, "campaignId", "campaign"), email, role
            )
            campaign, _ = await service.add_member(ctx.uow(), ctx.actor(), command)
            return campaign

        return await AddCampaignMemberResult.attempt(run, Campaign.from_model)

    @strawberry.mutation(graphql_type=AddCampaignCharacterResult.annotation)
    async def add_campaign_character(
        self,
        info: Info,
        campaign_id: strawberry.ID,
        character_id: strawberry.ID,
        ai_controlled: Annotated[
            bool | None,
            strawberry.argument(
                description="A persona agent plays this character: it reacts in character "
                "each turn to what it witnessed; otherwise members play it."
            ),
        ] = False,
    ) -> Campaign | Error:
        ctx = info.context
        return await AddCampaignCharacterResult.attempt(
            lambda: service.add_character(
                ctx.uow(),
                ctx.actor(),
                commands.AddCampaignCharacter(
                    require_id(campaign_id, "campaignId", "campaign"),
                    require_id(character_id, "characterId", "character"),
                    bool(ai_controlled),
                ),
            ),
            Campaign.from_model,
        )

    @strawberry.mutation(
        description="Change how the campaign is told and seen (OWNER and GAMEMASTER); a "
        "change that "
        "changes nothing writes nothing.",
        graphql_type=UpdateCampaignSettingsResult.annotation,
    )
    async def update_campaign_settings(
        self, info: Info, campaign_id: strawberry.ID, input: CampaignSettingsInput
    ) -> Campaign | Error:
        ctx = info.context
        return await UpdateCampaignSettingsResult.attempt(
            lambda: service.update_settings(
                ctx.uow(),
                ctx.actor(),
                commands.UpdateCampaignSettings(
                    require_id(campaign_id, "campaignId", "campaign"),
                    input.narration_style,
                    input.perspective,
                    input.strict_coherence,
                ),
            ),
            Campaign.from_model,
        )

    @strawberry.mutation(
        description="Apply a JSON merge patch (RFC 7396) if `expectedVersion` is current.",
        graphql_type=UpdateWorldStateResult.annotation,
    )
    async def update_world_state(
        self, info: Info, campaign_id: strawberry.ID, patch: JSON, expected_version: int
    ) -> Campaign | Error:
        ctx = info.context
        return await UpdateWorldStateResult.attempt(
            lambda: service.update_world_state(
                ctx.uow(),
                ctx.actor(),
                commands.UpdateWorldState(
                    require_id(campaign_id, "campaignId", "campaign"), patch, expected_version
                ),
            ),
            Campaign.from_model,
        )

    @strawberry.mutation(
        description="Branch the campaign's timeline (OWNER and GAMEMASTER): a new campaign "
        "whose history is this one's up to and including the event whose cursor is `at`, "
        "everything else rebuilt from that history. The forker owns the branch; this "
        "campaign is left as it is.",
        graphql_type=ForkCampaignResult.annotation,
    )
    async def fork_campaign(
        self, info: Info, campaign_id: strawberry.ID, at: str
    ) -> Campaign | Error:
        ctx = info.context

        async def run() -> CampaignModel:
            campaign = require_id(campaign_id, "campaignId", "campaign")
            try:
                position = parse_position_cursor(at)
            except errors.InvalidInput:
                raise errors.InvalidInput("`at` is not an event cursor.", "at") from None
            command = commands.ForkCampaign(campaign, position, at)
            return await service.fork_campaign(ctx.uow(), ctx.actor(), command)

        return await ForkCampaignResult.attempt(run, Campaign.from_model)
