"""Storage refuses to overwrite a row changed since it was loaded: no update is ever lost,
even for aggregates loaded without a lock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.domain.actor import Actor
from novel_engine.domain.character import (
    Character,
    CharacterChanges,
    CharacterKind,
    Personality,
    Relationship,
    RelationshipType,
    Visibility,
)
from novel_engine.domain.commands import CreateCharacter, CreateStory, FormRelationship
from novel_engine.domain.errors import ConcurrentChange, NotFound, VersionConflict
from novel_engine.domain.services import characters, stories
from novel_engine.domain.story import Genre
from novel_engine.graphql.characters.mutations import CreateCharacterResult
from novel_engine.persistence.engine import create_engine
from novel_engine.persistence.uow import SqlUnitOfWork
from tests.databases import truncate_all
from tests.integration.helpers import count_rows, event_types
from tests.integration.test_event_store import a_user


@pytest.fixture
async def postgres_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    """Two writers overlap only on PostgreSQL: SQLite's queue at BEGIN IMMEDIATE."""
    engine = create_engine(postgres_url)
    await truncate_all(engine)
    yield engine
    await engine.dispose()


async def a_character(engine: AsyncEngine) -> tuple[Actor, Character]:
    owner = await a_user(engine)
    character = await characters.create_character(
        SqlUnitOfWork(engine),
        owner,
        CreateCharacter(
            name="Mira",
            kind=CharacterKind.NPC,
            personality=Personality(),
            background="",
            visibility=Visibility.PRIVATE,
            skills=(),
        ),
    )
    return owner, character


async def read_back(engine: AsyncEngine, character: Character) -> Character:
    async with SqlUnitOfWork(engine) as uow:
        [found] = await uow.characters.get_many([character.id])
    return found


async def test_a_second_writer_from_a_stale_unlocked_load_gets_a_conflict_and_writes_nothing(
    postgres_engine: AsyncEngine,
) -> None:
    # given
    engine = postgres_engine
    owner, mira = await a_character(engine)

    # when: both load Mira without a lock, both change her, both commit
    async with SqlUnitOfWork(engine) as first, SqlUnitOfWork(engine) as second:
        [by_first] = await first.characters.get_many([mira.id])
        [by_second] = await second.characters.get_many([mira.id])
        by_first.update(owner, 1, CharacterChanges(name="Mira Vey"))
        by_second.update(owner, 1, CharacterChanges(background="Lost at sea."))
        await first.commit()
        before = await count_rows(engine)
        with pytest.raises(VersionConflict) as caught:
            await second.commit()

    # then
    assert (caught.value.expected_version, caught.value.current_version) == (1, 2)
    assert caught.value.field is None
    found = await read_back(engine, mira)
    assert (found.name, found.background, found.version) == ("Mira Vey", "", 2)
    assert await count_rows(engine) == before
    assert (await event_types(engine)).count("characters.character.updated") == 1


async def test_two_copies_of_one_character_in_one_unit_of_work_cannot_both_be_written(
    engine: AsyncEngine,
) -> None:
    # given
    owner, mira = await a_character(engine)
    before = await count_rows(engine)

    # when: a handler reaches Mira twice, once unlocked and once locked, and changes both
    async with SqlUnitOfWork(engine) as uow:
        [unlocked] = await uow.characters.get_many([mira.id])
        locked = await uow.characters.get(mira.id)
        assert locked is not None
        unlocked.update(owner, 1, CharacterChanges(name="Mira Vey"))
        locked.update(owner, 1, CharacterChanges(background="Lost at sea."))
        with pytest.raises(VersionConflict):
            await uow.commit()

    # then: neither change is kept, rather than one silently overwriting the other
    found = await read_back(engine, mira)
    assert (found.name, found.background, found.version) == ("Mira", "", 1)
    assert await count_rows(engine) == before


async def test_a_story_told_while_its_character_is_deleted_is_refused_cleanly(
    postgres_engine: AsyncEngine,
) -> None:
    # given: the character's owner is deleting it, holding its row
    owner, character = await a_character(postgres_engine)
    deleting = SqlUnitOfWork(postgres_engine)
    async with deleting:
        doomed = await deleting.characters.get(character.id)
        assert doomed is not None
        doomed.delete(owner)
        await deleting.characters.remove(doomed)

        # when: a story with that character is created meanwhile, then the deletion commits
        telling = asyncio.create_task(
            stories.create_story(
                SqlUnitOfWork(postgres_engine),
                owner,
                CreateStory(title="Tides", genre=Genre.MYSTERY, character_ids=(character.id,)),
            )
        )
        await asyncio.sleep(0.3)
        assert not telling.done()  # it waits for the character's row
        await deleting.commit()

    # then: the story is refused as naming no such character, and nothing half-written
    with pytest.raises(NotFound):
        await telling
    assert (await count_rows(postgres_engine))["stories"] == 0


async def test_a_deadlock_victim_gives_way_as_a_concurrent_change_and_writes_nothing(
    postgres_engine: AsyncEngine,
) -> None:
    # given: A relates to X; one writer holds A and wants X, the other holds X and wants A
    owner, x = await a_character(postgres_engine)
    a = await characters.create_character(
        SqlUnitOfWork(postgres_engine), owner, CreateCharacter(name="Ada")
    )
    await characters.form_relationship(
        SqlUnitOfWork(postgres_engine),
        owner,
        FormRelationship(a.id, Relationship(x.id, RelationshipType.ALLY, 0.5)),
    )
    before = await count_rows(postgres_engine)
    holds_a_first, holds_x_first = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with SqlUnitOfWork(postgres_engine) as uow:
            await uow.characters.get(a.id)
            holds_a_first.set()
            await holds_x_first.wait()
            await asyncio.sleep(0.3)
            await uow.characters.get(x.id)
            await uow.commit()

    async def second() -> None:
        async with SqlUnitOfWork(postgres_engine) as uow:
            await holds_a_first.wait()
            await uow.characters.get(x.id)
            holds_x_first.set()
            await uow.characters.relating_to(x.id)
            await uow.commit()

    # when
    outcomes = await asyncio.gather(first(), second(), return_exceptions=True)

    # then: exactly one gave way, as the domain's ConcurrentChange; nothing was written
    gave_way = [o for o in outcomes if isinstance(o, ConcurrentChange)]
    assert len(gave_way) == 1, outcomes
    assert [o for o in outcomes if o is not None and o not in gave_way] == []
    assert await count_rows(postgres_engine) == before


async def test_a_command_that_gave_way_is_run_again() -> None:
    # given: a command whose first run crossed another
    runs = 0

    async def run() -> str:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise ConcurrentChange()
        return "written"

    # when
    answered = await CreateCharacterResult.attempt(run, lambda written: written)

    # then
    assert (answered, runs) == ("written", 2)
