"""Model usage as a turn or a campaign shows it."""

from __future__ import annotations

import uuid

import strawberry

from novel_engine.domain import narration as domain
from novel_engine.graphql.context import Info
from novel_engine.graphql.usage.loaders import UsageByCampaignIdLoader, UsageByTurnIdLoader


@strawberry.type(description="What the language model calls behind a turn or a campaign cost.")
class ModelUsage:
    calls: int = strawberry.field(
        description="Calls that produced an answer (a failed attempt is not a call)."
    )
    prompt_tokens: int = strawberry.field(description="Tokens sent, over every attempt.")
    output_tokens: int = strawberry.field(description="Tokens received, over every attempt.")

    @classmethod
    def from_model(cls, u: domain.Usage) -> ModelUsage:
        return cls(calls=u.calls, prompt_tokens=u.prompt_tokens, output_tokens=u.output_tokens)


async def turn_usage(info: Info, turn_id: uuid.UUID) -> ModelUsage:
    return ModelUsage.from_model(await info.context.loader(UsageByTurnIdLoader).load(turn_id))


async def campaign_usage(info: Info, campaign_id: uuid.UUID) -> ModelUsage:
    found = await info.context.loader(UsageByCampaignIdLoader).load(campaign_id)
    return ModelUsage.from_model(found)
