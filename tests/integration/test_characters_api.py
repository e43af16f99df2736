from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql_client import AppClient
from tests.integration.helpers import (
    CREATE_CHARACTER,
    count_rows,
    create_campaign,
    create_character,
    event_types,
)

CHARACTER = """
query($id: ID!) {
  character(id: $id) {
    id name kind background visibility version
    personality { openness conscientiousness extraversion agreeableness neuroticism }
    owner { displayName email }
    skills { name level }
    relationships { type strength context character { name } }
  }
}
"""

UPDATE = """
mutation($id: ID!, $input: UpdateCharacterInput!, $expected: Int!) {
  updateCharacter(id: $id, input: $input, expectedVersion: $expected) {
    __typename
    ... on Character { name version background }
    ... on VersionConflict { code currentVersion expectedVersion field }
    ... on Error { code message field }
  }
}
"""

DELETE = """
mutation($id: ID!) {
  deleteCharacter(id: $id) {
    __typename
    ... on DeletedCharacter { id }
    ... on Error { code field }
  }
}
"""

FORM_RELATIONSHIP = """
mutation($id: ID!, $input: FormRelationshipInput!) {
  formRelationship(characterId: $id, input: $input) {
    __typename
    ... on Character { relationships { type strength character { name } } }
    ... on Error { code field }
  }
}
"""

ADD_CAMPAIGN_CHARACTER = """
mutation($id: ID!, $c: ID!) {
  addCampaignCharacter(campaignId: $id, characterId: $c) {
    __typename ... on Error { code message field }
  }
}
"""

CREATE_STORY = """
mutation($input: CreateStoryInput!) {
  createStory(input: $input) { __typename ... on Story { id } ... on Error { code field } }
}
"""

CAMPAIGN_CAST = """
query($id: ID!) {
  campaign(id: $id) {
    characters { name }
    events(first: 50) { edges { node { eventType payload } } }
  }
}
"""

STORY_CAST = "query($id: ID!) { story(id: $id) { characters { name } version } }"


async def test_create_and_read_back_with_owner_skills_and_personality(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given
    token = await app_client.sign_up()

    # when
    created = await create_character(
        app_client,
        token,
        kind="PROTAGONIST",
        background="A cartographer.",
        personality={"openness": 0.9, "neuroticism": 0.1},
        skills=[{"name": "maps", "level": 7}],
    )
    data = await app_client.data(CHARACTER, {"id": created["id"]}, token=token)

    # then
    character = data["character"]
    assert character["kind"] == "PROTAGONIST"
    assert character["visibility"] == "PRIVATE"
    assert character["personality"] == {
        "openness": 0.9,
        "conscientiousness": 0.5,
        "extraversion": 0.5,
        "agreeableness": 0.5,
        "neuroticism": 0.1,
    }
    assert character["owner"] == {"displayName": "Ada", "email": "ada@example.com"}
    assert character["skills"] == [{"name": "maps", "level": 7}]
    assert "characters.character.created" in await event_types(engine)


async def test_out_of_range_trait_is_a_typed_error_and_writes_nothing(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    token = await app_client.sign_up()
    before = await count_rows(engine)

    data = await app_client.data(
        CREATE_CHARACTER,
        {"input": {"name": "Mira", "personality": {"openness": 1.5}}},
        token=token,
    )

    assert data["createCharacter"]["__typename"] == "InvalidInputError"
    assert data["createCharacter"]["field"] == "personality.openness"
    assert await count_rows(engine) == before


async def test_oversized_background_is_refused(app_client: AppClient) -> None:
    token = await app_client.sign_up()
    data = await app_client.data(
        CREATE_CHARACTER, {"input": {"name": "Mira", "background": "x" * 10_001}}, token=token
    )
    assert data["createCharacter"]["code"] == "INVALID_INPUT"
    assert data["createCharacter"]["field"] == "background"


async def test_anonymous_create_asks_to_sign_in(app_client: AppClient, engine: AsyncEngine) -> None:
    data = await app_client.data(CREATE_CHARACTER, {"input": {"name": "Mira"}})
    assert data["createCharacter"]["__typename"] == "AuthenticationRequiredError"
    assert (await count_rows(engine))["characters"] == 0


async def test_update_with_expected_version_then_stale_version_conflicts(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given
    token = await app_client.sign_up()
    mira = await create_character(app_client, token)

    # when
    first = await app_client.data(
        UPDATE, {"id": mira["id"], "input": {"name": "Mira Vey"}, "expected": 1}, token=token
    )
    before = await count_rows(engine)
    stale = await app_client.data(
        UPDATE, {"id": mira["id"], "input": {"name": "Lost"}, "expected": 1}, token=token
    )

    # then
    assert first["updateCharacter"] == {
        "__typename": "Character",
        "name": "Mira Vey",
        "version": 2,
        "background": "",
    }
    assert stale["updateCharacter"]["__typename"] == "VersionConflict"
    assert stale["updateCharacter"]["currentVersion"] == 2
    assert stale["updateCharacter"]["expectedVersion"] == 1
    assert await count_rows(engine) == before
    read = await app_client.data(CHARACTER, {"id": mira["id"]}, token=token)
    assert read["character"]["name"] == "Mira Vey"


async def test_private_characters_look_missing_to_others(app_client: AppClient) -> None:
    # given
    ada = await app_client.sign_up("Ada")
    bob = await app_client.sign_up("Bob")
    secret = await create_character(app_client, ada, "Secret")
    public = await create_character(app_client, ada, "Known", visibility="PUBLIC")

    # then: reads
    for token in (bob, None):
        assert (await app_client.data(CHARACTER, {"id": secret["id"]}, token=token)) == {
            "character": None
        }
        visible = await app_client.data(CHARACTER, {"id": public["id"]}, token=token)
        assert visible["character"]["name"] == "Known"
        assert visible["character"]["owner"]["email"] is None
    missing = await app_client.data(
        CHARACTER, {"id": "00000000-0000-0000-0000-000000000000"}, token=bob
    )
    assert missing == {"character": None}
    assert await app_client.data(CHARACTER, {"id": "garbage"}) == {"character": None}

    # then: writes
    hidden = await app_client.data(
        UPDATE, {"id": secret["id"], "input": {"name": "x"}, "expected": 1}, token=bob
    )
    forbidden = await app_client.data(
        UPDATE, {"id": public["id"], "input": {"name": "x"}, "expected": 1}, token=bob
    )
    assert hidden["updateCharacter"]["code"] == "NOT_FOUND"
    assert forbidden["updateCharacter"]["code"] == "FORBIDDEN"


async def test_characters_list_pages_through_public_and_own(app_client: AppClient) -> None:
    ada = await app_client.sign_up("Ada")
    bob = await app_client.sign_up("Bob")
    for i in range(5):
        await create_character(app_client, ada, f"Public {i}", visibility="PUBLIC")
    await create_character(app_client, ada, "Ada's secret")
    await create_character(app_client, bob, "Bob's secret")
    query = """query($after: String) {
        characters(first: 2, after: $after) {
          edges { cursor node { name } } pageInfo { hasNextPage endCursor }
        }
    }"""

    names: list[str] = []
    after = None
    while True:
        page = (await app_client.data(query, {"after": after}, token=bob))["characters"]
        names += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert names == [f"Public {i}" for i in range(5)] + ["Bob's secret"]


async def test_first_is_bounded_and_cursors_are_checked(app_client: AppClient) -> None:
    for args in ["first: 101", "first: -1", 'after: "bogus"']:
        body = await app_client.execute(f"{{ characters({args}) {{ edges {{ cursor }} }} }}")
        [error] = body["errors"]
        assert error["extensions"]["code"] == "INVALID_INPUT"
        assert error["message"] != "Unexpected error."


async def test_delete_removes_the_character_and_keeps_its_history(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    ada = await app_client.sign_up("Ada")
    bob = await app_client.sign_up("Bob")
    mira = await create_character(app_client, ada, visibility="PUBLIC")

    refused = await app_client.data(DELETE, {"id": mira["id"]}, token=bob)
    deleted = await app_client.data(DELETE, {"id": mira["id"]}, token=ada)
    again = await app_client.data(DELETE, {"id": mira["id"]}, token=ada)

    assert refused["deleteCharacter"]["code"] == "FORBIDDEN"
    assert deleted["deleteCharacter"] == {"__typename": "DeletedCharacter", "id": mira["id"]}
    assert again["deleteCharacter"]["code"] == "NOT_FOUND"
    assert (await app_client.data(CHARACTER, {"id": mira["id"]}, token=ada))["character"] is None
    assert (await event_types(engine))[-1] == "characters.character.deleted"


async def test_relationships_show_only_characters_the_viewer_may_see(
    app_client: AppClient,
) -> None:
    ada = await app_client.sign_up("Ada")
    bob = await app_client.sign_up("Bob")
    mira = await create_character(app_client, ada, "Mira", visibility="PUBLIC")
    ally = await create_character(app_client, ada, "Ally", visibility="PUBLIC")
    secret = await create_character(app_client, ada, "Secret")
    for other, kind in [(ally, "ALLY"), (secret, "ENEMY")]:
        result = await app_client.data(
            FORM_RELATIONSHIP,
            {
                "id": mira["id"],
                "input": {"relatedCharacterId": other["id"], "type": kind, "strength": 0.8},
            },
            token=ada,
        )
        assert result["formRelationship"]["__typename"] == "Character"

    as_ada = await app_client.data(CHARACTER, {"id": mira["id"]}, token=ada)
    as_bob = await app_client.data(CHARACTER, {"id": mira["id"]}, token=bob)

    assert {r["character"]["name"] for r in as_ada["character"]["relationships"]} == {
        "Ally",
        "Secret",
    }
    assert [r["character"]["name"] for r in as_bob["character"]["relationships"]] == ["Ally"]
    bad = await app_client.data(
        FORM_RELATIONSHIP,
        {
            "id": mira["id"],
            "input": {"relatedCharacterId": mira["id"], "type": "ALLY", "strength": 0.5},
        },
        token=ada,
    )
    assert bad["formRelationship"]["field"] == "relatedCharacterId"


async def test_deleting_a_character_takes_it_out_of_casts_and_relationships_as_events(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: Ada's public Mira is in Bob's campaign (Ada is no member), in Ada's story,
    # and Bob's Tam counts her an ally
    ada = await app_client.sign_up("Ada")
    bob = await app_client.sign_up("Bob")
    mira = await create_character(app_client, ada, "Mira", visibility="PUBLIC")
    tam = await create_character(app_client, bob, "Tam")
    campaign = await create_campaign(app_client, bob)
    for character in (mira, tam):
        added = await app_client.data(
            ADD_CAMPAIGN_CHARACTER, {"id": campaign["id"], "c": character["id"]}, token=bob
        )
        assert added["addCampaignCharacter"]["__typename"] == "Campaign", added
    story = await app_client.data(
        CREATE_STORY,
        {"input": {"title": "Tides", "genre": "DRAMA", "characterIds": [mira["id"]]}},
        token=ada,
    )
    related = await app_client.data(
        FORM_RELATIONSHIP,
        {
            "id": tam["id"],
            "input": {"relatedCharacterId": mira["id"], "type": "ALLY", "strength": 0.7},
        },
        token=bob,
    )
    assert related["formRelationship"]["__typename"] == "Character", related

    # when
    deleted = await app_client.data(DELETE, {"id": mira["id"]}, token=ada)

    # then: nobody's view holds Mira any more
    assert deleted["deleteCharacter"]["__typename"] == "DeletedCharacter"
    seen = (await app_client.data(CAMPAIGN_CAST, {"id": campaign["id"]}, token=bob))["campaign"]
    assert seen["characters"] == [{"name": "Tam"}]
    story_id = story["createStory"]["id"]
    told = await app_client.data(STORY_CAST, {"id": story_id}, token=ada)
    assert told["story"] == {"characters": [], "version": 2}
    tam_now = (await app_client.data(CHARACTER, {"id": tam["id"]}, token=bob))["character"]
    assert (tam_now["relationships"], tam_now["version"]) == ([], 3)

    # then: the campaign's stream says so, and replaying it gives the cast
    cast: list[str] = []
    for edge in seen["events"]["edges"]:
        event = edge["node"]
        if event["eventType"] == "campaigns.campaign.character-added":
            cast.append(event["payload"]["characterId"])
        if event["eventType"] == "campaigns.campaign.character-removed":
            cast.remove(event["payload"]["characterId"])
            assert event["payload"]["removalReason"] == "character-deleted"
    assert cast == [tam["id"]]
    assert sorted((await event_types(engine))[-4:]) == [
        "campaigns.campaign.character-removed",
        "characters.character.deleted",
        "characters.character.relationship-ended",
        "narratives.story.character-removed",
    ]
