"""GraphQL enums: the domain's own enums, exposed by member name (UPPER_CASE)."""

from __future__ import annotations

import strawberry

from novel_engine.domain import campaign, character, errors, events, story

CharacterKind = strawberry.enum(character.CharacterKind)
Visibility = strawberry.enum(character.Visibility)
RelationshipType = strawberry.enum(character.RelationshipType)
SkillAcquisition = strawberry.enum(character.SkillAcquisition)
Genre = strawberry.enum(story.Genre)
Tone = strawberry.enum(story.Tone)
PlotPoint = strawberry.enum(story.PlotPoint)
CampaignRole = strawberry.enum(campaign.CampaignRole)
ErrorCode = strawberry.enum(errors.ErrorCode)
AggregateType = strawberry.enum(events.AggregateType)
