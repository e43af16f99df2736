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
from novel_engine.domain.perception import Perspective

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


def test_a_patch_that_changes_nothing_records_nothing_and_keeps_the_versions() -> None:
    campaign = make_campaign()
    campaign.events.clear()
    version = campaign.version

    campaign.update_world_state(GM, {"day": 1, "weather": "rain", "moon": None}, 1)

    assert campaign.world_state == {"weather": "rain", "day": 1}
    assert (campaign.world_version, campaign.version) == (1, version)
    assert campaign.events == []
    campaign.update_world_state(GM, {"day": True}, 1)  # equal to 1 in Python, not in JSON
    assert campaign.world_version == 2


def test_a_lone_surrogate_in_world_state_is_refused_and_changes_nothing() -> None:
    lone = "\ud800"
    with pytest.raises(InvalidInput) as created:
        Campaign.create(
            OWNER, CreateCampaign(name="x", description="", world_state={"a": {lone: 1}})
        )
    campaign = make_campaign()
    with pytest.raises(InvalidInput) as patched:
        campaign.update_world_state(GM, {"weather": [f"storm{lone}"]}, 1)
    assert (created.value.field, patched.value.field) == ("worldState", "patch")
    assert (campaign.world_state, campaign.world_version) == ({"weather": "rain", "day": 1}, 1)


def test_a_deleted_character_leaves_the_cast_because_of_its_deletion() -> None:
    campaign = make_campaign()
    mine = character_of(COAUTHOR)
    campaign.add_character(COAUTHOR, mine)
    version = campaign.version
    deletion = mine.delete(COAUTHOR)

    with pytest.raises(Forbidden):
        campaign.remove_deleted_character(GM, mine, deletion)
    campaign.remove_deleted_character(COAUTHOR, mine, deletion)

    assert campaign.character_ids == []
    assert campaign.version == version + 1
    removed = campaign.events[-1]
    assert removed.event_type is EventType.CAMPAIGN_CHARACTER_REMOVED
    assert removed.event_type.value == "campaigns.campaign.character-removed"
    assert removed.causation_id == deletion.event_id
    assert removed.payload["characterId"] == str(mine.id)
    assert removed.payload["version"] == campaign.version


def test_through_characters_only_owner_and_gamemasters_see_everything() -> None:
    campaign = make_campaign()
    assert all(campaign.sees_everything(a.user_id) for a in (OWNER, GM, COAUTHOR, VIEWER))
    campaign.events.clear()

    campaign.update_settings(GM, perspective=Perspective.THROUGH_CHARACTERS, strict_coherence=True)

    [changed] = campaign.events
    assert changed.event_type is EventType.CAMPAIGN_SETTINGS_CHANGED
    assert changed.payload["changes"] == {
        "perspective": "through_characters",
        "strictCoherence": True,
    }
    assert changed.payload["previousValues"] == {
        "perspective": "omniscient",
        "strictCoherence": False,
    }
    assert [
        campaign.sees_everything(a.user_id) for a in (OWNER, GM, COAUTHOR, VIEWER, OUTSIDER)
    ] == [
        True,
        True,
        False,
        False,
        False,
    ]
    # the same settings again change nothing; a co-author changes nothing at all
    campaign.update_settings(OWNER, perspective=Perspective.THROUGH_CHARACTERS)
    assert len(campaign.events) == 1
    with pytest.raises(Forbidden):
        campaign.update_settings(COAUTHOR, perspective=Perspective.OMNISCIENT)


def test_a_world_change_says_who_saw_each_character_move() -> None:
    campaign = make_campaign()
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    campaign.character_ids.extend([a, b, c])
    campaign.update_world_state(
        GM, {"locations": {str(a): "hall", str(b): "hall", str(c): "yard"}}, 1
    )
    campaign.update_world_state(GM, {"locations": {str(a): "yard"}}, 2)
    perceived = campaign.events[-1].payload["perceivedBy"]
    assert perceived == {"locations": {str(a): sorted([str(a), str(b), str(c)])}}
