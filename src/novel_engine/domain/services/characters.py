"""Creating, changing and deleting characters."""

from __future__ import annotations

import uuid

from novel_engine.domain.actor import Actor
from novel_engine.domain.character import Character
from novel_engine.domain.commands import (
    CreateCharacter,
    DeleteCharacter,
    FormRelationship,
    GainSkill,
    UpdateCharacter,
)
from novel_engine.domain.errors import NotFound
from novel_engine.domain.ports import UnitOfWork


async def visible_character(
    uow: UnitOfWork, actor: Actor, character_id: uuid.UUID, field: str = "id"
) -> Character:
    """Load a character for change; one the actor may not see does not exist."""
    character = await uow.characters.get(character_id)
    if character is None or not character.is_visible_to(actor.user_id):
        raise NotFound("No character with this id.", field)
    return character


async def create_character(uow: UnitOfWork, actor: Actor, command: CreateCharacter) -> Character:
    character = Character.create(actor, command)
    async with uow:
        await uow.characters.add(character)
        await uow.commit()
    return character


async def update_character(uow: UnitOfWork, actor: Actor, command: UpdateCharacter) -> Character:
    actor.require_user()
    async with uow:
        character = await visible_character(uow, actor, command.character_id)
        character.update(actor, command.expected_version, command.changes)
        await uow.commit()
    return character


async def delete_character(uow: UnitOfWork, actor: Actor, command: DeleteCharacter) -> Character:
    """Delete a character and, in the same commit, take it out of every campaign and story
    cast and end every relationship to it, each an event on the stream it changes."""
    actor.require_user()
    async with uow:
        # Locked first, so a concurrent addCampaignCharacter or formRelationship naming it
        # waits for this commit and then finds it gone, rather than slipping past the sweep.
        character = await visible_character(uow, actor, command.character_id)
        deletion = character.delete(actor)
        for campaign in await uow.campaigns.featuring(character.id):
            campaign.remove_deleted_character(actor, character, deletion)
        for story in await uow.stories.featuring(character.id):
            story.remove_deleted_character(actor, character, deletion)
        for other in await uow.characters.relating_to(character.id):
            other.end_relationship_with_deleted(actor, character, deletion)
        await uow.characters.remove(character)
        await uow.commit()
    return character


async def gain_skill(uow: UnitOfWork, actor: Actor, command: GainSkill) -> Character:
    actor.require_user()
    async with uow:
        character = await visible_character(uow, actor, command.character_id, "characterId")
        character.gain_skill(actor, command.skill, command.method, command.context)
        await uow.commit()
    return character


async def form_relationship(uow: UnitOfWork, actor: Actor, command: FormRelationship) -> Character:
    actor.require_user()
    related_id = command.relationship.related_character_id
    async with uow:
        character = await visible_character(uow, actor, command.character_id, "characterId")
        if related_id != command.character_id:
            await visible_character(uow, actor, related_id, "relatedCharacterId")
        character.form_relationship(actor, command.relationship)
        await uow.commit()
    return character
