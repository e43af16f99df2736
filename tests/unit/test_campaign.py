import uuid

import pytest

from novel_engine.domain.actor import Actor
from novel_engine.domain.campaign import Campaign, CampaignRole, merge_patch
from novel_engine.domain.character import Character, Visibility
from novel_engine.domain.commands import CreateCampaign, CreateCharacter
from novel_engine.domain.errors import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    NotFound,
    VersionConflict,
)
from novel_engine.domain.events import EventType

OWNER = Actor(uuid.uuid4())
GM = Actor(uuid.uuid4())
COAUTHOR = Actor(uuid.uuid4())
VIEWER = Actor(uuid.uuid4())
OUTSIDER = Actor(uuid.uuid4())


def make_campaign() -> Campaign:
    campaign = Campaign.create(
        OWNER, CreateCampaign("Gloom", world_state={"weather": "rain", "day": 1})
    )
    campaign.add_member(OWNER, GM.user_id, CampaignRole.GAMEMASTER)  # type: ignore[arg-type]
    campaign.add_member(GM, COAUTHOR.user_id, CampaignRole.COAUTHOR)  # type: ignore[arg-type]
    campaign.add_member(GM, VIEWER.user_id, CampaignRole.VIEWER)  # type: ignore[arg-type]
    return campaign


def character_of(actor: Actor, visibility: Visibility = Visibility.PRIVATE) -> Character:
    return Character.create(actor, CreateCharacter("Someone", visibility=visibility))


def test_the_creator_is_the_owner() -> None:
    campaign = Campaign.create(OWNER, CreateCampaign("Gloom"))
    assert campaign.role_of(OWNER.user_id) is CampaignRole.OWNER
    assert campaign.events[0].event_type is EventType.CAMPAIGN_CREATED


def test_world_state_must_be_a_json_object() -> None:
    with pytest.raises(InvalidInput) as caught:
        Campaign.create(OWNER, CreateCampaign("x", world_state=[1, 2]))
    assert caught.value.field == "worldState"


def test_merge_patch_follows_rfc_7396() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}}
    assert merge_patch(target, {"a": "z", "c": {"f": None}}) == {"a": "z", "c": {"d": "e"}}
    assert merge_patch(target, {"c": [1]}) == {"a": "b", "c": [1]}
    assert target == {"a": "b", "c": {"d": "e", "f": "g"}}


def test_gamemaster_updates_world_and_version_advances() -> None:
    campaign = make_campaign()
    campaign.update_world_state(GM, {"weather": "storm", "day": None}, 1)
    assert campaign.world_state == {"weather": "storm"}
    assert campaign.world_version == 2
    event = campaign.events[-1]
    assert event.event_type is EventType.WORLD_STATE_CHANGED
    assert event.payload["previousState"] == {"weather": "rain", "day": 1}


def test_stale_world_version_conflicts_and_changes_nothing() -> None:
    campaign = make_campaign()
    campaign.update_world_state(OWNER, {"day": 2}, 1)
    with pytest.raises(VersionConflict) as caught:
        campaign.update_world_state(GM, {"day": 3}, 1)
    assert caught.value.current_version == 2
    assert campaign.world_state["day"] == 2


@pytest.mark.parametrize("actor", [COAUTHOR, VIEWER])
def test_only_owner_and_gamemasters_change_the_world(actor: Actor) -> None:
    with pytest.raises(Forbidden):
        make_campaign().update_world_state(actor, {"day": 9}, 1)


def test_outsiders_are_told_the_campaign_does_not_exist() -> None:
    with pytest.raises(NotFound):
        make_campaign().update_world_state(OUTSIDER, {"day": 9}, 1)


def test_only_the_owner_appoints_gamemasters_and_nobody_becomes_owner() -> None:
    campaign = make_campaign()
    with pytest.raises(Forbidden):
        campaign.add_member(GM, uuid.uuid4(), CampaignRole.GAMEMASTER)
    with pytest.raises(InvalidInput):
        campaign.add_member(OWNER, uuid.uuid4(), CampaignRole.OWNER)
    with pytest.raises(AlreadyExists):
        campaign.add_member(OWNER, VIEWER.user_id, CampaignRole.COAUTHOR)  # type: ignore[arg-type]


def test_coauthors_add_their_own_characters_only_and_viewers_none() -> None:
    campaign = make_campaign()
    campaign.add_character(COAUTHOR, character_of(COAUTHOR))
    with pytest.raises(Forbidden):
        campaign.add_character(COAUTHOR, character_of(GM, Visibility.PUBLIC))
    with pytest.raises(Forbidden):
        campaign.add_character(VIEWER, character_of(VIEWER))
    hidden = character_of(COAUTHOR)
    with pytest.raises(NotFound):
        campaign.add_character(GM, hidden)
    campaign.add_character(GM, character_of(COAUTHOR, Visibility.PUBLIC))
    assert len(campaign.character_ids) == 2
