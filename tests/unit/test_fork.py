"""Branching a campaign (domain/fork.py): the history copied under new ids, the state
rebuilt from that copy alone, who may fork and where."""

from __future__ import annotations

import json
import uuid

import pytest

from novel_engine.domain.actor import Actor
from novel_engine.domain.campaign import Campaign, CampaignRole
from novel_engine.domain.character import Character
from novel_engine.domain.commands import CreateCampaign, CreateCharacter
from novel_engine.domain.errors import Forbidden, InvalidInput
from novel_engine.domain.events import DomainEvent, EventType, StoredEvent, asks_for_work
from novel_engine.domain.fork import Branch, fork
from novel_engine.domain.narration import NarrationStatus, Usage
from novel_engine.domain.perception import Perspective
from novel_engine.domain.session import Action, ActionKind, Session
from novel_engine.domain.story import PlotPoint

OWNER = Actor(uuid.uuid4())
GAMEMASTER = Actor(uuid.uuid4())
COAUTHOR = Actor(uuid.uuid4())


class Played:
    """A campaign with Mira and Tam in it, a session, a narrated turn and one not yet
    narrated; `log` is its stream as stored."""

    def __init__(self) -> None:
        self.campaign = Campaign.create(OWNER, CreateCampaign("Gloom", world_state={"fog": 1}))
        assert GAMEMASTER.user_id is not None
        assert COAUTHOR.user_id is not None
        self.campaign.add_member(OWNER, GAMEMASTER.user_id, CampaignRole.GAMEMASTER)
        self.campaign.add_member(OWNER, COAUTHOR.user_id, CampaignRole.COAUTHOR)
        self.mira = Character.create(OWNER, CreateCharacter("Mira"))
        self.tam = Character.create(OWNER, CreateCharacter("Tam"))
        self.cast = {c.id: c for c in (self.mira, self.tam)}
        for c in self.cast.values():
            self.campaign.add_character(OWNER, c)
        self.log: list[StoredEvent] = []
        self.keep(self.campaign.events)
        self.session = Session.start(OWNER, self.campaign, 1)
        self.first = self.session.take_turn(
            OWNER,
            self.campaign,
            self.cast,
            [
                Action(self.mira.id, ActionKind.MOVE, "the cellar"),
                Action(self.tam.id, ActionKind.DIALOGUE, "Wait!", (self.mira.id,)),
            ],
        )
        self.session.narrated(OWNER, self.first, "Mira went down.", "offline", False, Usage())
        self.keep(self.session.events)
        self.world_after_first = json.loads(json.dumps(self.campaign.world_state))
        self.version_after_first = self.campaign.world_version
        self.head_of_first = len(self.log)
        self.second = self.session.take_turn(
            OWNER, self.campaign, self.cast, [Action(self.tam.id, ActionKind.MOVE, "the roof")]
        )
        self.keep(self.session.events)

    def keep(self, events: list[DomainEvent]) -> None:
        for event in events:
            self.log.append(StoredEvent(event, len(self.log) + 1))
        events.clear()

    def fork(
        self, through: int, actor: Actor = OWNER, alive: set[uuid.UUID] | None = None
    ) -> Branch:
        alive = set(self.cast) if alive is None else alive
        return fork(actor, self.campaign, self.log[:through], "cursor", alive)


def strings(value: object) -> set[str]:
    return set(json.dumps(value).replace('"', " ").split())


def test_the_branch_history_is_the_original_under_new_ids_with_shared_ids_kept() -> None:
    played = Played()
    branch = played.fork(len(played.log))

    copies, forked = branch.campaign.events[:-1], branch.campaign.events[-1]
    originals = [s.event for s in played.log]
    assert [e.event_type for e in copies] == [e.event_type for e in originals]
    assert forked.event_type is EventType.CAMPAIGN_FORKED
    assert forked.payload["forkedFrom"] == str(played.campaign.id)
    assert forked.payload["eventCount"] == len(originals)
    own = {str(played.campaign.id), str(played.session.id), str(played.first.id)}
    own |= {str(played.second.id)} | {str(e.event_id) for e in originals}
    for copy, original in zip(copies, originals, strict=True):
        assert copy.event_id != original.event_id
        assert copy.stream.id == branch.campaign.id
        assert not strings(copy.payload) & own
        assert copy.correlation_id == original.correlation_id
        assert copy.timestamp == original.timestamp
        assert copy.metadata["copiedFrom"] == str(original.event_id)
    # causes point inside the branch, at the copies of the original's causes
    new_of = {o.event_id: c.event_id for c, o in zip(copies, originals, strict=True)}
    for copy, original in zip(copies, originals, strict=True):
        if original.causation_id in new_of:
            assert copy.causation_id == new_of[original.causation_id]
    # characters are shared: their ids, in witnesses and locations, are kept
    moved = next(c for c in copies if c.event_type is EventType.ACTION_PERFORMED)
    assert moved.payload["actingCharacterId"] == str(played.mira.id)
    assert str(played.mira.id) in moved.payload["witnesses"]


def test_the_branch_state_is_rebuilt_as_it_was_at_the_cut() -> None:
    played = Played()
    branch = played.fork(played.head_of_first)

    campaign = branch.campaign
    assert campaign.name == "Gloom (branch)"
    assert campaign.world_state == played.world_after_first
    assert campaign.world_version == played.version_after_first
    assert campaign.character_ids == [played.mira.id, played.tam.id]
    assert (campaign.forked_from, campaign.forked_at_event) == (
        played.campaign.id,
        played.log[played.head_of_first - 1].event.event_id,
    )
    [session] = branch.sessions
    assert (session.number, session.turn_count) == (1, 1)
    [turn] = session.new_turns
    assert turn.actions == played.first.actions
    assert turn.outcomes == played.first.outcomes
    assert turn.narration_status is NarrationStatus.DONE
    assert turn.narrative == "Mira went down."
    assert branch.told == {played.first.id: turn.id}
    assert branch.untold == []


def test_a_played_turn_not_yet_narrated_asks_the_branch_for_its_narration() -> None:
    played = Played()
    branch = played.fork(len(played.log))

    asking = [e for e in branch.campaign.events if asks_for_work(e)]
    assert [e.event_type for e in asking] == [
        EventType.INTERACTION_RESOLVED,
        EventType.CAMPAIGN_FORKED,
    ]
    assert asking[0].aggregate_id == branch.untold[0]
    second = branch.sessions[0].new_turns[1]
    assert (second.id, second.narration_status) == (branch.untold[0], NarrationStatus.PENDING)


def test_a_cut_inside_a_turn_resolution_is_refused() -> None:
    played = Played()
    initiated = next(
        s.position for s in played.log if s.event.event_type is EventType.INTERACTION_INITIATED
    )
    with pytest.raises(InvalidInput) as refused:
        played.fork(initiated + 1)
    assert refused.value.field == "at"


def test_who_forks_owns_the_branch_and_the_owner_directs_it() -> None:
    played = Played()

    branch = played.fork(len(played.log), actor=GAMEMASTER)

    roles = {uid: m.role for uid, m in branch.campaign.members.items()}
    assert roles == {
        GAMEMASTER.user_id: CampaignRole.OWNER,
        OWNER.user_id: CampaignRole.GAMEMASTER,
        COAUTHOR.user_id: CampaignRole.COAUTHOR,
    }
    assert branch.campaign.owner_id == GAMEMASTER.user_id
    with pytest.raises(Forbidden):
        played.fork(len(played.log), actor=COAUTHOR)


def test_a_character_deleted_since_is_not_in_the_branch_cast() -> None:
    played = Played()

    branch = played.fork(len(played.log), alive={played.tam.id})

    assert branch.campaign.character_ids == [played.tam.id]


def test_a_cut_between_events_written_together_is_refused() -> None:
    # given: a narration that reached a plot point, written in one commit
    played = Played()
    session = played.session
    session.narrated(
        OWNER,
        played.second,
        "Tam climbed to the roof.",
        "offline",
        False,
        Usage(),
        reached=PlotPoint.INCITING_INCIDENT,
    )
    played.keep(session.events)
    narrated = [s for s in played.log if s.event.event_type is EventType.TURN_NARRATED][-1]
    reached = played.log[narrated.position]
    assert reached.event.event_type is EventType.PLOT_POINT_REACHED

    # when / then: between them is refused, after both is a moment that existed
    with pytest.raises(InvalidInput) as refused:
        fork(
            OWNER,
            played.campaign,
            played.log[: narrated.position],
            "cursor",
            set(played.cast),
            reached.event,
        )
    assert refused.value.field == "at"
    branch = fork(OWNER, played.campaign, played.log, "cursor", set(played.cast), None)
    assert branch.untold == []


def test_a_branch_of_a_campaign_now_seen_through_characters_is_seen_so_too() -> None:
    played = Played()
    assert played.fork(played.head_of_first).campaign.perspective is Perspective.OMNISCIENT
    played.campaign.update_settings(OWNER, perspective=Perspective.THROUGH_CHARACTERS)

    branch = played.fork(played.head_of_first)

    assert branch.campaign.perspective is Perspective.THROUGH_CHARACTERS
    forked = branch.campaign.events[-1]
    assert forked.payload["settings"]["perspective"] == "through_characters"
