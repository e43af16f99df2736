import uuid

import pytest

from novel_engine.domain.actor import Actor
from novel_engine.domain.character import (
    Character,
    CharacterChanges,
    Visibility,
)
from novel_engine.domain.commands import (
    CreateCharacter,
    CreateStory,
    DeleteCharacter,
    LogIn,
    SignUp,
    UpdateCharacter,
)
from novel_engine.domain.errors import EmailTaken, InvalidCredentials, NotFound, VersionConflict
from novel_engine.domain.events import EventType
from novel_engine.domain.services import characters, identity, stories
from novel_engine.domain.story import Genre, Tone
from tests.unit.fakes import FakeHasher, FakeUnitOfWork


async def sign_up(uow: FakeUnitOfWork, email: str = "ada@example.com") -> uuid.UUID:
    user = await identity.sign_up(
        uow, Actor.anonymous(), FakeHasher(), SignUp(email, "long enough", "Ada")
    )
    return user.id


async def a_character(
    uow: FakeUnitOfWork, actor: Actor, name: str, visibility: Visibility = Visibility.PRIVATE
) -> Character:
    return await characters.create_character(
        uow, actor, CreateCharacter(name, visibility=visibility)
    )


async def test_emails_are_unique_ignoring_case_and_spaces() -> None:
    uow = FakeUnitOfWork()
    await sign_up(uow, "ada@example.com")
    with pytest.raises(EmailTaken):
        await sign_up(uow, "  ADA@example.com ")
    assert len(uow.users.items) == 1


async def test_wrong_password_and_unknown_email_look_the_same() -> None:
    uow = FakeUnitOfWork()
    await sign_up(uow)
    for email, password in [("ada@example.com", "wrong password"), ("bob@example.com", "x")]:
        with pytest.raises(InvalidCredentials) as caught:
            await identity.log_in(uow, FakeHasher(), LogIn(email, password))
        assert caught.value.message == "Email or password is wrong."
    user = await identity.log_in(uow, FakeHasher(), LogIn("Ada@Example.com", "long enough"))
    assert user.display_name == "Ada"


async def test_a_story_cannot_cast_someone_elses_private_character() -> None:
    uow = FakeUnitOfWork()
    ada, bob = Actor(await sign_up(uow)), Actor(await sign_up(uow, "bob@example.com"))
    secret = await a_character(uow, bob, "Secret")
    uow.published.clear()

    with pytest.raises(NotFound) as caught:
        await stories.create_story(
            uow,
            ada,
            CreateStory(
                "Heist",
                Genre.ADVENTURE,
                tone=Tone.LIGHT,
                visibility=Visibility.PUBLIC,
                character_ids=(secret.id,),
            ),
        )

    assert caught.value.field == "characterIds"
    assert uow.stories.items == {}
    assert uow.published == []


async def test_a_stale_update_commits_nothing() -> None:
    uow = FakeUnitOfWork()
    ada = Actor(await sign_up(uow))
    mira = await a_character(uow, ada, "Mira")
    await characters.update_character(uow, ada, UpdateCharacter(mira.id, CharacterChanges("B"), 1))
    uow.published.clear()

    with pytest.raises(VersionConflict):
        await characters.update_character(
            uow, ada, UpdateCharacter(mira.id, CharacterChanges("C"), 1)
        )

    assert uow.characters.items[mira.id].name == "B"
    assert uow.published == []


async def test_deleting_removes_the_character_and_records_why() -> None:
    uow = FakeUnitOfWork()
    ada = Actor(await sign_up(uow))
    mira = await a_character(uow, ada, "Mira")
    await characters.delete_character(uow, ada, DeleteCharacter(mira.id))
    assert mira.id not in uow.characters.items
    assert uow.published[-1].event_type is EventType.CHARACTER_DELETED
