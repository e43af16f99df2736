"""Creating stories, telling their events, asking a model to write one, and compiling
one from a session."""

from __future__ import annotations

import uuid
from dataclasses import replace

from novel_engine.domain.actor import Actor
from novel_engine.domain.campaign import Campaign
from novel_engine.domain.commands import AddStoryEvent, CompileStory, CreateStory, GenerateStory
from novel_engine.domain.errors import NotFound
from novel_engine.domain.narration import NarrationStatus, Viewpoints, told_to
from novel_engine.domain.ports import UnitOfWork
from novel_engine.domain.session import Turn
from novel_engine.domain.story import Story, StoryEntry
from novel_engine.domain.writing import edited, genre_and_tone


async def create_story(uow: UnitOfWork, actor: Actor, command: CreateStory) -> Story:
    story = Story.create(actor, command)
    async with uow:
        await _add_with_cast(uow, actor, story)
    return story


async def generate_story(uow: UnitOfWork, actor: Actor, command: GenerateStory) -> Story:
    """Ask for a story: it exists at once, GENERATING, and a job has the model write it."""
    story = Story.request_generation(actor, command)
    async with uow:
        await _add_with_cast(uow, actor, story)
    return story


async def _add_with_cast(uow: UnitOfWork, actor: Actor, story: Story) -> None:
    # Locked: a character deleted meanwhile must not vanish under the new story's cast.
    found = await uow.characters.get_many(story.character_ids, lock=True)
    visible = {c.id for c in found if c.is_visible_to(actor.user_id)}
    for character_id in story.character_ids:
        if character_id not in visible:
            raise NotFound(f"No character with id {character_id}.", "characterIds")
    await uow.stories.add(story)
    await uow.commit()


async def compile_story(uow: UnitOfWork, actor: Actor, command: CompileStory) -> Story:
    """A story made of a session's narrated turns, for a member of its campaign. Its
    cast is the characters who acted or were acted on that the member may see."""
    actor.require_user()
    async with uow:
        turns = [
            t
            for t in await uow.sessions.turns(command.session_id)
            if t.narration_status is NarrationStatus.DONE and t.narrative is not None
        ]
        appearing = list(
            dict.fromkeys(
                c for t in turns for a in t.actions for c in (a.character_id, *a.target_ids)
            )
        )
        # Characters, then the session, then its campaign: the order a turn locks them in.
        found = await uow.characters.get_many(sorted(appearing), lock=True)
        session = await uow.sessions.get(command.session_id)
        campaign = await uow.campaigns.get(session.campaign_id) if session else None
        if session is None or campaign is None or campaign.role_of(actor.user_id) is None:
            raise NotFound("No session with this id.", "sessionId")
        visible = {c.id for c in found if c.is_visible_to(actor.user_id)}
        if not campaign.sees_everything(actor.user_id):
            # Seen through its characters: only the tellings of the member's own, and only
            # them in the cast.
            turns, visible = await _told_to_player(uow, actor, campaign, turns)
        genre, tone = genre_and_tone(campaign.world_state)
        story = Story.compile(
            actor,
            title=command.title or f"{campaign.name}, session {session.number}",
            genre=genre,
            tone=tone,
            character_ids=[c for c in appearing if c in visible],
            content=edited(turns),
            session_id=session.id,
            campaign_id=campaign.id,
            turns=len(turns),
        )
        await uow.stories.add(story)
        await uow.commit()
    return story


async def _told_to_player(
    uow: UnitOfWork, actor: Actor, campaign: Campaign, turns: list[Turn]
) -> tuple[list[Turn], set[uuid.UUID]]:
    """The turns as told from the points of view of the characters `actor` plays in the
    campaign (those with no such telling left out), and those characters."""
    cast = await uow.characters.get_many(campaign.character_ids)
    mine = Viewpoints.of(c.id for c in cast if c.owner_id == actor.user_id)
    chunks = await uow.narration.of_turns([t.id for t in turns])
    told = []
    for turn in turns:
        text = told_to([c for c in chunks if c.turn_id == turn.id], mine)
        if text is not None:
            told.append(replace(turn, narrative=text))
    tellers = {c.viewpoint for c in chunks if c.viewpoint is not None and mine.shows(c.viewpoint)}
    return told, {c for c in tellers if c is not None}


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
