"""Creating stories and telling their events."""

from __future__ import annotations

from novel_engine.domain.actor import Actor
from novel_engine.domain.commands import AddStoryEvent, CreateStory
from novel_engine.domain.errors import NotFound
from novel_engine.domain.ports import UnitOfWork
from novel_engine.domain.story import Story, StoryEntry


async def create_story(uow: UnitOfWork, actor: Actor, command: CreateStory) -> Story:
    story = Story.create(actor, command)
    async with uow:
        # Locked: a character deleted meanwhile must not vanish under the new story's cast.
        found = await uow.characters.get_many(story.character_ids, lock=True)
        visible = {c.id for c in found if c.is_visible_to(actor.user_id)}
        for character_id in story.character_ids:
            if character_id not in visible:
                raise NotFound(f"No character with id {character_id}.", "characterIds")
        await uow.stories.add(story)
        await uow.commit()
    return story


async def add_story_event(
    uow: UnitOfWork, actor: Actor, command: AddStoryEvent
) -> tuple[Story, StoryEntry]:
    actor.require_user()
    async with uow:
        story = await uow.stories.get(command.story_id)
        if story is None or not story.is_visible_to(actor.user_id):
            raise NotFound("No story with this id.", "storyId")
        entry = story.add_event(actor, command)
        await uow.commit()
    return story, entry
