import uuid

import pytest

from novel_engine.domain.campaign import CampaignRole
from novel_engine.domain.character import Character
from novel_engine.domain.commands import (
    AddCampaignCharacter,
    AddCampaignMember,
    EndSession,
    StartSession,
    SubmitTurn,
)
from novel_engine.domain.errors import AlreadyExists, Forbidden, IdempotencyConflict, NotFound
from novel_engine.domain.events import EventType
from novel_engine.domain.services import campaigns, sessions
from novel_engine.domain.session import Action, ActionKind, Session
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.test_campaign_services import a_campaign, people
from tests.unit.test_services import a_character


class Table:
    """Ada owns the campaign, Bob co-authors it with his character Tam in it."""

    async def set(self) -> "Table":
        self.uow = uow = FakeUnitOfWork()
        self.ada, self.bob, self.eve = await people(uow, "ada", "bob", "eve")
        self.campaign = await a_campaign(uow, self.ada)
        await campaigns.add_member(
            uow,
            self.ada,
            AddCampaignMember(self.campaign.id, "bob@example.com", CampaignRole.COAUTHOR),
        )
        self.tam: Character = await a_character(uow, self.bob, "Tam")
        await campaigns.add_character(
            uow, self.bob, AddCampaignCharacter(self.campaign.id, self.tam.id)
        )
        uow.published.clear()
        return self

    async def start(self) -> Session:
        return await sessions.start_session(self.uow, self.ada, StartSession(self.campaign.id))

    def move(self, place: str) -> list[Action]:
        return [Action(self.tam.id, ActionKind.MOVE, place)]


async def test_starting_a_session_numbers_it_and_records_who_started_it() -> None:
    table = await Table().set()

    session = await table.start()

    assert (session.number, session.started_by) == (1, table.ada.user_id)
    assert table.uow.store.sessions[session.id].campaign_id == table.campaign.id
    [started] = table.uow.published
    assert started.event_type is EventType.SESSION_STARTED
    assert started.stream.id == table.campaign.id
    assert started.payload["worldVersion"] == 1


async def test_one_session_runs_at_a_time_and_the_next_one_counts_on() -> None:
    table = await Table().set()
    first = await table.start()

    with pytest.raises(AlreadyExists):
        await table.start()
    await sessions.end_session(table.uow, table.ada, EndSession(first.id))
    second = await table.start()

    assert second.number == 2
    assert len(table.uow.store.sessions) == 2


async def test_only_directors_start_sessions_and_outsiders_see_no_campaign() -> None:
    table = await Table().set()

    with pytest.raises(Forbidden):
        await sessions.start_session(table.uow, table.bob, StartSession(table.campaign.id))
    with pytest.raises(NotFound):
        await sessions.start_session(table.uow, table.eve, StartSession(table.campaign.id))

    assert table.uow.store.sessions == {}
    assert table.uow.published == []


async def test_a_retried_turn_returns_the_first_and_writes_nothing() -> None:
    table = await Table().set()
    session = await table.start()
    first = await sessions.submit_turn(
        table.uow, table.bob, SubmitTurn(session.id, tuple(table.move("pier")), "k1")
    )
    written = (len(table.uow.published), len(table.uow.store.turns))

    again = await sessions.submit_turn(
        table.uow, table.bob, SubmitTurn(session.id, tuple(table.move("pier")), "k1")
    )

    assert again == first
    assert (len(table.uow.published), len(table.uow.store.turns)) == written
    assert table.uow.store.sessions[session.id].turn_count == 1


async def test_a_reused_key_with_other_actions_or_by_someone_else_conflicts() -> None:
    table = await Table().set()
    session = await table.start()
    await sessions.submit_turn(
        table.uow, table.bob, SubmitTurn(session.id, tuple(table.move("pier")), "k1")
    )
    written = len(table.uow.published)

    with pytest.raises(IdempotencyConflict):
        await sessions.submit_turn(
            table.uow, table.bob, SubmitTurn(session.id, tuple(table.move("home")), "k1")
        )
    with pytest.raises(IdempotencyConflict):
        await sessions.submit_turn(
            table.uow, table.ada, SubmitTurn(session.id, tuple(table.move("pier")), "k1")
        )

    assert len(table.uow.published) == written
    assert table.uow.store.campaigns[table.campaign.id].world_state["locations"] == {
        str(table.tam.id): "pier"
    }


async def test_turns_without_a_key_are_each_played() -> None:
    table = await Table().set()
    session = await table.start()

    for place in ("pier", "pier"):
        await sessions.submit_turn(
            table.uow, table.bob, SubmitTurn(session.id, tuple(table.move(place)))
        )

    assert [t.number for t in table.uow.store.turns] == [1, 2]
    assert table.uow.store.sessions[session.id].turn_count == 2


async def test_a_session_of_a_campaign_one_is_not_in_does_not_exist() -> None:
    table = await Table().set()
    session = await table.start()

    with pytest.raises(NotFound) as caught:
        await sessions.submit_turn(
            table.uow, table.eve, SubmitTurn(session.id, tuple(table.move("pier")))
        )
    with pytest.raises(NotFound):
        await sessions.submit_turn(
            table.uow, table.bob, SubmitTurn(uuid.uuid4(), tuple(table.move("pier")))
        )

    assert caught.value.field == "sessionId"
    assert table.uow.store.turns == []
