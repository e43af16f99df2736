import uuid

import pytest

from novel_engine.domain.actor import Actor
from novel_engine.domain.aggregate import Aggregate
from novel_engine.domain.character import (
    Character,
    CharacterChanges,
    Relationship,
    RelationshipType,
    Visibility,
)
from novel_engine.domain.commands import (
    AddCampaignCharacter,
    CreateCampaign,
    CreateCharacter,
    CreateStory,
    DeleteCharacter,
    FormRelationship,
    LogIn,
    SignUp,
    UpdateCharacter,
)
from novel_engine.domain.errors import (
    EmailTaken,
    Forbidden,
    InvalidCredentials,
    InvalidInput,
    NotFound,
    VersionConflict,
)
from novel_engine.domain.events import EventType
from novel_engine.domain.services import campaigns, characters, identity, stories
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


async def test_deleting_a_character_takes_it_out_of_every_cast_and_relationship() -> None:
    # given: Bob's public Mira, in Ada's campaign and story, and Ada's Tam relates to her
    uow = FakeUnitOfWork()
    ada = Actor(await sign_up(uow))
    bob = Actor(await sign_up(uow, "bob@example.com"))
    mira = await a_character(uow, bob, "Mira", Visibility.PUBLIC)
    tam = await a_character(uow, ada, "Tam")
    campaign = await campaigns.create_campaign(
        uow, ada, CreateCampaign(name="Gloom", description="", world_state={})
    )
    await campaigns.add_character(uow, ada, AddCampaignCharacter(campaign.id, mira.id))
    await campaigns.add_character(uow, ada, AddCampaignCharacter(campaign.id, tam.id))
    story = await stories.create_story(
        uow,
        ada,
        CreateStory(
            title="Heist",
            genre=Genre.ADVENTURE,
            themes=[],
            tone=Tone.LIGHT,
            visibility=Visibility.PRIVATE,
            character_ids=[tam.id, mira.id],
        ),
    )
    await characters.form_relationship(
        uow,
        ada,
        FormRelationship(tam.id, Relationship(mira.id, RelationshipType.ALLY, 0.8, "old friends")),
    )

    def referrers() -> list[Aggregate]:
        store = uow.store
        return [store.campaigns[campaign.id], store.stories[story.id], store.characters[tam.id]]

    versions = [a.version for a in referrers()]
    uow.published.clear()

    # when
    await characters.delete_character(uow, bob, DeleteCharacter(mira.id))

    # then
    deleted, *consequences = uow.published
    assert deleted.event_type is EventType.CHARACTER_DELETED
    assert [(e.event_type, e.stream.id) for e in consequences] == [
        (EventType.CAMPAIGN_CHARACTER_REMOVED, campaign.id),
        (EventType.STORY_CHARACTER_REMOVED, story.id),
        (EventType.CHARACTER_RELATIONSHIP_ENDED, tam.id),
    ]
    assert all(e.causation_id == deleted.event_id for e in consequences)
    assert uow.store.campaigns[campaign.id].character_ids == [tam.id]
    assert uow.store.stories[story.id].character_ids == [tam.id]
    assert uow.store.characters[tam.id].relationships == []
    assert mira.id not in uow.store.characters
    assert [a.version for a in referrers()] == [v + 1 for v in versions]


async def test_only_the_owner_deletes_and_a_refusal_removes_nothing() -> None:
    uow = FakeUnitOfWork()
    ada = Actor(await sign_up(uow))
    bob = Actor(await sign_up(uow, "bob@example.com"))
    mira = await a_character(uow, bob, "Mira", Visibility.PUBLIC)
    campaign = await campaigns.create_campaign(
        uow, ada, CreateCampaign(name="Gloom", description="", world_state={})
    )
    await campaigns.add_character(uow, ada, AddCampaignCharacter(campaign.id, mira.id))
    uow.published.clear()

    with pytest.raises(Forbidden):
        await characters.delete_character(uow, ada, DeleteCharacter(mira.id))

    assert mira.id in uow.store.characters
    assert uow.store.campaigns[campaign.id].character_ids == [mira.id]
    assert uow.published == []


async def test_a_password_that_is_not_valid_text_never_logs_in() -> None:
    uow = FakeUnitOfWork()
    await sign_up(uow)
    with pytest.raises(InvalidCredentials):
        await identity.log_in(
            uow, FakeHasher(), LogIn(email="ada@example.com", password="long\ud800")
        )
    with pytest.raises(InvalidInput) as caught:
        await identity.sign_up(
            uow,
            Actor.anonymous(),
            FakeHasher(),
            SignUp(email="bob@example.com", password="long enough\ud800", display_name="Bob"),
        )
    assert caught.value.field == "password"
