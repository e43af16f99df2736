"""Reading characters as the viewer may see them, and running character commands."""

from __future__ import annotations

import uuid
from functools import partial

from novel_engine.domain.character import (
    Character,
    CharacterChanges,
    CharacterKind,
    Personality,
    Relationship,
    RelationshipType,
    Skill,
    SkillAcquisition,
    Visibility,
)
from novel_engine.domain.services import characters as service
from novel_engine.persistence.queries import CharacterRecord
from novel_engine.resolvers.context import RequestContext
from novel_engine.resolvers.ids import parse_id, require_id
from novel_engine.resolvers.pagination import Page, list_page


async def character(ctx: RequestContext, id: str) -> CharacterRecord | None:
    character_id = parse_id(id)
    if character_id is None:
        return None
    found = await ctx.loaders.character_by_id.load(character_id)
    return found if found and found.is_visible_to(ctx.user_id) else None


async def characters(
    ctx: RequestContext, first: int | None, after: str | None
) -> Page[CharacterRecord]:
    return await list_page(partial(ctx.services.queries.list_characters, ctx.user_id), first, after)


async def relationships(
    ctx: RequestContext, character_id: uuid.UUID
) -> list[tuple[Relationship, CharacterRecord]]:
    """Relationships whose other side the viewer may see."""
    found = await ctx.loaders.relationships_by_character_id.load(character_id)
    others = await ctx.loaders.character_by_id.load_many([r.related_character_id for r in found])
    return [
        (r, other)
        for r, other in zip(found, others, strict=True)
        if other is not None and other.is_visible_to(ctx.user_id)
    ]


async def create_character(
    ctx: RequestContext,
    *,
    name: str,
    kind: CharacterKind,
    personality: Personality,
    background: str,
    visibility: Visibility,
    skills: list[Skill],
) -> Character:
    return await service.create_character(
        ctx.uow(),
        ctx.actor,
        name=name,
        kind=kind,
        personality=personality,
        background=background,
        visibility=visibility,
        skills=skills,
    )


async def update_character(
    ctx: RequestContext, id: str, changes: CharacterChanges, expected_version: int
) -> Character:
    return await service.update_character(
        ctx.uow(), ctx.actor, require_id(id, "id", "character"), changes, expected_version
    )


async def delete_character(ctx: RequestContext, id: str) -> Character:
    return await service.delete_character(ctx.uow(), ctx.actor, require_id(id, "id", "character"))


async def gain_skill(
    ctx: RequestContext,
    character_id: str,
    skill: Skill,
    method: SkillAcquisition,
    context: str,
) -> Character:
    return await service.gain_skill(
        ctx.uow(),
        ctx.actor,
        require_id(character_id, "characterId", "character"),
        skill,
        method,
        context,
    )


async def form_relationship(
    ctx: RequestContext,
    character_id: str,
    related_character_id: str,
    type: RelationshipType,
    strength: float,
    context: str,
) -> Character:
    return await service.form_relationship(
        ctx.uow(),
        ctx.actor,
        require_id(character_id, "characterId", "character"),
        require_id(related_character_id, "relatedCharacterId", "character"),
        type,
        strength,
        context,
    )
