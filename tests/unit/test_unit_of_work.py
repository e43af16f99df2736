"""The unit of work's contract, as the fakes keep it (the SQL one is tested against both
databases in tests/integration/test_optimistic_concurrency.py)."""

import pytest

from novel_engine.domain.actor import Actor
from novel_engine.domain.character import CharacterChanges
from novel_engine.domain.commands import CreateCampaign
from novel_engine.domain.errors import VersionConflict
from novel_engine.domain.events import EventType
from novel_engine.domain.services import campaigns
from tests.unit.fakes import FakeStore, FakeUnitOfWork
from tests.unit.test_services import a_character, sign_up


async def test_a_stale_unlocked_load_is_not_written_back_nor_anything_with_it() -> None:
    # given
    store = FakeStore()
    setup = FakeUnitOfWork(store)
    ada = Actor(await sign_up(setup))
    mira = await a_character(setup, ada, "Mira")
    campaign = await campaigns.create_campaign(
        setup, ada, CreateCampaign(name="Gloom", description="", world_state={})
    )
    store.events.clear()
    first, second = FakeUnitOfWork(store), FakeUnitOfWork(store)

    # when: both load Mira without a lock; the second also changes the world
    async with first, second:
        [by_first] = await first.characters.get_many([mira.id])
        loaded = await second.campaigns.get(campaign.id)
        [by_second] = await second.characters.get_many([mira.id])
        assert loaded is not None
        loaded.update_world_state(ada, {"day": 2}, 1)
        by_first.update(ada, 1, CharacterChanges(name="Mira Vey"))
        by_second.update(ada, 1, CharacterChanges(name="Lost"))
        await first.commit()
        with pytest.raises(VersionConflict) as caught:
            await second.commit()

    # then
    assert (caught.value.expected_version, caught.value.current_version) == (1, 2)
    assert store.characters[mira.id].name == "Mira Vey"
    assert store.campaigns[campaign.id].world_state == {}
    assert [e.event_type for e in store.events] == [EventType.CHARACTER_UPDATED]
