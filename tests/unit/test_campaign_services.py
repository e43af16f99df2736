import uuid

import pytest

from novel_engine.domain.actor import Actor
from novel_engine.domain.campaign import Campaign, CampaignRole
from novel_engine.domain.character import Visibility
from novel_engine.domain.commands import (
    AddCampaignCharacter,
    AddCampaignMember,
    CreateCampaign,
    UpdateWorldState,
)
from novel_engine.domain.errors import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    NotFound,
    VersionConflict,
)
from novel_engine.domain.events import EventType
from novel_engine.domain.services import campaigns
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.test_services import a_character, sign_up


async def a_campaign(uow: FakeUnitOfWork, owner: Actor) -> Campaign:
    return await campaigns.create_campaign(
        uow, owner, CreateCampaign(name="Gloom", description="", world_state={"day": 1})
    )


async def people(uow: FakeUnitOfWork, *names: str) -> list[Actor]:
    return [Actor(await sign_up(uow, f"{name}@example.com")) for name in names]


async def test_creating_a_campaign_stores_it_with_its_owner_and_one_event() -> None:
    uow = FakeUnitOfWork()
    [ada] = await people(uow, "ada")
    uow.published.clear()

    campaign = await a_campaign(uow, ada)

    stored = uow.store.campaigns[campaign.id]
    assert stored.role_of(ada.user_id) is CampaignRole.OWNER
    assert stored.world_state == {"day": 1}
    assert [e.event_type for e in uow.published] == [EventType.CAMPAIGN_CREATED]


async def test_creating_a_campaign_with_a_bad_world_stores_nothing() -> None:
    uow = FakeUnitOfWork()
    [ada] = await people(uow, "ada")
    uow.published.clear()

    with pytest.raises(InvalidInput):
        await campaigns.create_campaign(
            uow, ada, CreateCampaign(name="Gloom", description="", world_state={"day": "\udc00"})
        )

    assert (uow.store.campaigns, uow.published) == ({}, [])


async def test_members_join_by_email_with_the_role_their_appointer_may_give() -> None:
    uow = FakeUnitOfWork()
    ada, gim, bob, vic = await people(uow, "ada", "gim", "bob", "vic")
    campaign = await a_campaign(uow, ada)

    await campaigns.add_member(
        uow, ada, AddCampaignMember(campaign.id, "GIM@example.com", CampaignRole.GAMEMASTER)
    )
    await campaigns.add_member(
        uow, gim, AddCampaignMember(campaign.id, "bob@example.com", CampaignRole.COAUTHOR)
    )
    uow.published.clear()
    with pytest.raises(Forbidden):
        await campaigns.add_member(
            uow, gim, AddCampaignMember(campaign.id, "vic@example.com", CampaignRole.GAMEMASTER)
        )
    with pytest.raises(Forbidden):
        await campaigns.add_member(
            uow, bob, AddCampaignMember(campaign.id, "vic@example.com", CampaignRole.VIEWER)
        )
    with pytest.raises(NotFound) as unknown:
        await campaigns.add_member(
            uow, ada, AddCampaignMember(campaign.id, "eve@example.com", CampaignRole.VIEWER)
        )
    with pytest.raises(NotFound) as outsider:
        await campaigns.add_member(
            uow, vic, AddCampaignMember(campaign.id, "vic@example.com", CampaignRole.VIEWER)
        )

    stored = uow.store.campaigns[campaign.id]
    assert stored.role_of(gim.user_id) is CampaignRole.GAMEMASTER
    assert stored.role_of(bob.user_id) is CampaignRole.COAUTHOR
    assert stored.role_of(vic.user_id) is None
    assert (unknown.value.field, outsider.value.field) == ("email", "campaignId")
    assert uow.published == []


async def test_characters_join_by_the_rules_of_their_adder_role() -> None:
    uow = FakeUnitOfWork()
    ada, bob, vic = await people(uow, "ada", "bob", "vic")
    campaign = await a_campaign(uow, ada)
    await campaigns.add_member(
        uow, ada, AddCampaignMember(campaign.id, "bob@example.com", CampaignRole.COAUTHOR)
    )
    await campaigns.add_member(
        uow, ada, AddCampaignMember(campaign.id, "vic@example.com", CampaignRole.VIEWER)
    )
    tam = await a_character(uow, bob, "Tam")
    known = await a_character(uow, vic, "Known", Visibility.PUBLIC)
    hidden = await a_character(uow, vic, "Hidden")

    await campaigns.add_character(uow, bob, AddCampaignCharacter(campaign.id, tam.id))
    await campaigns.add_character(uow, ada, AddCampaignCharacter(campaign.id, known.id))
    uow.published.clear()
    refusals = [
        (bob, known.id, Forbidden),  # a co-author adds only their own
        (vic, hidden.id, Forbidden),  # viewers add none
        (ada, hidden.id, NotFound),  # a private character of someone else
        (bob, tam.id, AlreadyExists),
        (ada, uuid.uuid4(), NotFound),
    ]
    for actor, character_id, error in refusals:
        with pytest.raises(error):
            await campaigns.add_character(
                uow, actor, AddCampaignCharacter(campaign.id, character_id)
            )

    assert uow.store.campaigns[campaign.id].character_ids == [tam.id, known.id]
    assert uow.published == []


async def test_world_changes_apply_with_the_current_version_only() -> None:
    uow = FakeUnitOfWork()
    [ada] = await people(uow, "ada")
    campaign = await a_campaign(uow, ada)
    uow.published.clear()

    changed = await campaigns.update_world_state(
        uow, ada, UpdateWorldState(campaign.id, {"day": 2}, 1)
    )
    with pytest.raises(VersionConflict) as stale:
        await campaigns.update_world_state(uow, ada, UpdateWorldState(campaign.id, {"day": 3}, 1))

    assert (changed.world_state, changed.world_version) == ({"day": 2}, 2)
    assert stale.value.current_version == 2
    assert uow.store.campaigns[campaign.id].world_state == {"day": 2}
    assert [e.event_type for e in uow.published] == [EventType.WORLD_STATE_CHANGED]


async def test_a_world_change_that_changes_nothing_answers_the_world_and_writes_nothing() -> None:
    uow = FakeUnitOfWork()
    [ada] = await people(uow, "ada")
    campaign = await a_campaign(uow, ada)
    uow.published.clear()

    answer = await campaigns.update_world_state(
        uow, ada, UpdateWorldState(campaign.id, {"day": 1, "x": None}, 1)
    )

    assert (answer.world_state, answer.world_version) == ({"day": 1}, 1)
    stored = uow.store.campaigns[campaign.id]
    assert (stored.world_version, stored.version) == (1, campaign.version)
    assert uow.published == []
