import json

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql_client import AppClient
from tests.integration.helpers import count_rows, create_campaign, create_character, event_types

ADD_MEMBER = """
mutation($id: ID!, $email: String!, $role: CampaignRole!) {
  addCampaignMember(campaignId: $id, email: $email, role: $role) {
    __typename
    ... on Campaign { members { role user { displayName } } }
    ... on Error { code message field }
  }
}
"""

ADD_CHARACTER = """
mutation($id: ID!, $characterId: ID!) {
  addCampaignCharacter(campaignId: $id, characterId: $characterId) {
    __typename
    ... on Campaign { characters { name } }
    ... on Error { code message field }
  }
}
"""

UPDATE_WORLD = """
mutation($id: ID!, $patch: JSON!, $expected: Int!) {
  updateWorldState(campaignId: $id, patch: $patch, expectedVersion: $expected) {
    __typename
    ... on Campaign { worldState worldVersion }
    ... on VersionConflict { currentVersion }
    ... on Error { code message field }
  }
}
"""

CAMPAIGN = """
query($id: ID!) {
  campaign(id: $id) {
    name worldState worldVersion viewerRole
    owner { displayName }
    members { role user { displayName } }
    characters { name owner { displayName } }
    events(first: 50) { edges { cursor node { eventType userId correlationId payload } } }
  }
}
"""


async def post_raw(app_client: AppClient, query: str, variables: str, token: str) -> httpx.Response:
    """POST with `variables` sent as written: JSON text, escapes and all."""
    body = f'{{"query": {json.dumps(query)}, "variables": {variables}}}'
    return await app_client.http.post(
        "/graphql",
        content=body.encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )


def assert_refused(response: httpx.Response, mutation: str, field: str) -> None:
    """Refused as invalid input: by the domain as a typed error, or earlier, where the
    transport checks the request's text, as a request error."""
    if response.status_code != 200:
        assert 400 <= response.status_code < 500, response.text
        return
    result = response.json()["data"][mutation]
    assert (result["code"], result["field"]) == ("INVALID_INPUT", field), result


async def add_member(
    app_client: AppClient, token: str, campaign: dict, email: str, role: str
) -> dict:
    data = await app_client.data(
        ADD_MEMBER, {"id": campaign["id"], "email": email, "role": role}, token=token
    )
    return data["addCampaignMember"]


async def test_campaign_with_members_and_characters_reads_back_nested(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given
    ada = await app_client.sign_up("Ada")
    bob = await app_client.sign_up("Bob")
    campaign = await create_campaign(app_client, ada, world={"weather": "rain"})
    mira = await create_character(app_client, ada, "Mira", visibility="PUBLIC")
    joined = await add_member(app_client, ada, campaign, "bob@example.com", "COAUTHOR")
    assert joined["__typename"] == "Campaign"
    added = await app_client.data(
        ADD_CHARACTER, {"id": campaign["id"], "characterId": mira["id"]}, token=ada
    )
    assert added["addCampaignCharacter"]["characters"] == [{"name": "Mira"}]

    # when
    as_bob = (await app_client.data(CAMPAIGN, {"id": campaign["id"]}, token=bob))["campaign"]

    # then
    assert as_bob["viewerRole"] == "COAUTHOR"
    assert as_bob["owner"] == {"displayName": "Ada"}
    assert as_bob["members"] == [
        {"role": "OWNER", "user": {"displayName": "Ada"}},
        {"role": "COAUTHOR", "user": {"displayName": "Bob"}},
    ]
    assert as_bob["characters"] == [{"name": "Mira", "owner": {"displayName": "Ada"}}]
    assert [e["node"]["eventType"] for e in as_bob["events"]["edges"]] == [
        "campaigns.campaign.created",
        "campaigns.campaign.member-added",
        "campaigns.campaign.character-added",
    ]
    assert "campaigns.campaign.created" in await event_types(engine)


async def test_non_members_see_no_campaign(app_client: AppClient) -> None:
    ada = await app_client.sign_up("Ada")
    eve = await app_client.sign_up("Eve")
    campaign = await create_campaign(app_client, ada)
    for token in (eve, None):
        assert (await app_client.data(CAMPAIGN, {"id": campaign["id"]}, token=token)) == {
            "campaign": None
        }
        listed = await app_client.data("{ campaigns { edges { node { id } } } }", token=token)
        assert listed["campaigns"]["edges"] == []
    refused = await app_client.data(
        UPDATE_WORLD, {"id": campaign["id"], "patch": {"a": 1}, "expected": 1}, token=eve
    )
    assert refused["updateWorldState"]["code"] == "NOT_FOUND"


async def test_roles_decide_who_changes_the_world(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given
    ada = await app_client.sign_up("Ada")
    gm = await app_client.sign_up("Gim")
    viewer = await app_client.sign_up("Vic")
    campaign = await create_campaign(app_client, ada, world={"weather": "rain", "day": 1})
    await add_member(app_client, ada, campaign, "gim@example.com", "GAMEMASTER")
    await add_member(app_client, gm, campaign, "vic@example.com", "VIEWER")
    before = await count_rows(engine)

    # when
    by_viewer = await app_client.data(
        UPDATE_WORLD, {"id": campaign["id"], "patch": {"day": 2}, "expected": 1}, token=viewer
    )
    by_viewer_member = await add_member(app_client, viewer, campaign, "ada@example.com", "VIEWER")
    unchanged = await count_rows(engine)
    by_gm = await app_client.data(
        UPDATE_WORLD,
        {"id": campaign["id"], "patch": {"day": 2, "weather": None}, "expected": 1},
        token=gm,
    )
    stale = await app_client.data(
        UPDATE_WORLD, {"id": campaign["id"], "patch": {"day": 3}, "expected": 1}, token=ada
    )

    # then
    assert by_viewer["updateWorldState"]["code"] == "FORBIDDEN"
    assert by_viewer_member["code"] == "FORBIDDEN"
    assert unchanged == before
    assert by_gm["updateWorldState"] == {
        "__typename": "Campaign",
        "worldState": {"day": 2},
        "worldVersion": 2,
    }
    assert stale["updateWorldState"]["__typename"] == "VersionConflict"
    assert stale["updateWorldState"]["currentVersion"] == 2
    assert stale["updateWorldState"]["code"] == "VERSION_CONFLICT"
    events = (await app_client.data(CAMPAIGN, {"id": campaign["id"]}, token=viewer))["campaign"]
    changed = [
        e["node"]
        for e in events["events"]["edges"]
        if e["node"]["eventType"] == "campaigns.world.state-changed"
    ]
    assert len(changed) == 1
    assert changed[0]["payload"]["changes"] == {"day": 2, "weather": None}
    assert changed[0]["payload"]["previousState"] == {"day": 1, "weather": "rain"}


async def test_member_mistakes_are_typed(app_client: AppClient) -> None:
    ada = await app_client.sign_up("Ada")
    await app_client.sign_up("Bob")
    campaign = await create_campaign(app_client, ada)
    unknown = await add_member(app_client, ada, campaign, "nobody@example.com", "VIEWER")
    bad_email = await add_member(app_client, ada, campaign, "nobody", "VIEWER")
    owner = await add_member(app_client, ada, campaign, "bob@example.com", "OWNER")
    await add_member(app_client, ada, campaign, "bob@example.com", "VIEWER")
    twice = await add_member(app_client, ada, campaign, "bob@example.com", "COAUTHOR")
    assert (unknown["code"], unknown["field"]) == ("NOT_FOUND", "email")
    assert (bad_email["code"], bad_email["field"]) == ("INVALID_INPUT", "email")
    assert (owner["code"], owner["field"]) == ("INVALID_INPUT", "role")
    assert twice["code"] == "ALREADY_EXISTS"


async def test_world_state_must_be_an_object_and_is_bounded(app_client: AppClient) -> None:
    ada = await app_client.sign_up("Ada")
    campaign = await create_campaign(app_client, ada)
    for patch in ([1, 2], "text", {"big": "x" * 300_000}):
        result = await app_client.data(
            UPDATE_WORLD, {"id": campaign["id"], "patch": patch, "expected": 1}, token=ada
        )
        assert result["updateWorldState"]["code"] == "INVALID_INPUT"
        assert result["updateWorldState"]["field"] == "patch"
    created = await app_client.data(
        'mutation { createCampaign(input: {name: "x", worldState: [1]}) '
        "{ ... on Error { code field } } }",
        token=ada,
    )
    assert created["createCampaign"] == {"code": "INVALID_INPUT", "field": "worldState"}


async def test_events_page_with_cursors_and_carry_the_envelope(app_client: AppClient) -> None:
    ada = await app_client.sign_up("Ada")
    campaign = await create_campaign(app_client, ada, world={"n": 0})
    for version in range(1, 6):
        await app_client.data(
            UPDATE_WORLD,
            {"id": campaign["id"], "patch": {"n": version}, "expected": version},
            token=ada,
        )
    query = """query($id: ID!, $after: String) { campaign(id: $id) {
        events(first: 4, after: $after) {
          edges { cursor node {
            eventId eventType eventVersion aggregateId aggregateType timestamp
            correlationId causationId userId payload metadata cursor } }
          pageInfo { hasNextPage endCursor } } } }"""

    first = (await app_client.data(query, {"id": campaign["id"]}, token=ada))["campaign"]
    rest = (
        await app_client.data(
            query,
            {"id": campaign["id"], "after": first["events"]["pageInfo"]["endCursor"]},
            token=ada,
        )
    )["campaign"]

    nodes = [e["node"] for e in first["events"]["edges"] + rest["events"]["edges"]]
    assert len(nodes) == 6
    assert first["events"]["pageInfo"]["hasNextPage"] is True
    assert rest["events"]["pageInfo"]["hasNextPage"] is False
    assert [n["payload"].get("worldVersion") for n in nodes[1:]] == [2, 3, 4, 5, 6]
    assert len({n["eventId"] for n in nodes}) == 6
    created = nodes[0]
    assert created["aggregateType"] == "CAMPAIGN"
    assert created["aggregateId"] == campaign["id"]
    assert created["eventVersion"] == "1.0.0"
    assert created["metadata"] == {"source": "novel-engine"}
    assert created["causationId"] == created["correlationId"]
    assert all(e["cursor"] == e["node"]["cursor"] for e in first["events"]["edges"])


async def test_a_world_change_that_changes_nothing_answers_the_world_and_writes_nothing(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given
    ada = await app_client.sign_up("Ada")
    campaign = await create_campaign(app_client, ada, world={"weather": "rain", "day": 1})
    before = await count_rows(engine)

    # when
    same = await app_client.data(
        UPDATE_WORLD,
        {"id": campaign["id"], "patch": {"day": 1, "moon": None}, "expected": 1},
        token=ada,
    )

    # then
    assert same["updateWorldState"] == {
        "__typename": "Campaign",
        "worldState": {"weather": "rain", "day": 1},
        "worldVersion": 1,
    }
    assert await count_rows(engine) == before


async def test_a_lone_surrogate_in_world_state_is_refused_and_nothing_is_stored(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given
    ada = await app_client.sign_up("Ada")
    campaign = await create_campaign(app_client, ada, world={"weather": "rain"})
    before = await count_rows(engine)
    create = (
        "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) "
        "{ __typename ... on Error { code field } } }"
    )

    # when
    patched = await post_raw(
        app_client,
        UPDATE_WORLD,
        f'{{"id": "{campaign["id"]}", "patch": {{"weather": "st\\ud800orm"}}, "expected": 1}}',
        ada,
    )
    keyed = await post_raw(
        app_client,
        UPDATE_WORLD,
        f'{{"id": "{campaign["id"]}", "patch": {{"a": {{"\\udfff": 1}}}}, "expected": 1}}',
        ada,
    )
    created = await post_raw(
        app_client, create, '{"input": {"name": "Gloom", "worldState": {"w": ["\\ud800"]}}}', ada
    )

    # then
    assert_refused(patched, "updateWorldState", "patch")
    assert_refused(keyed, "updateWorldState", "patch")
    assert_refused(created, "createCampaign", "worldState")
    assert await count_rows(engine) == before
    read = await app_client.data(CAMPAIGN, {"id": campaign["id"]}, token=ada)
    assert read["campaign"]["worldState"] == {"weather": "rain"}


async def test_a_campaign_keeps_its_narration_style_and_refuses_one_too_long(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    ada = await app_client.sign_up("Ada")
    create = """
    mutation($input: CreateCampaignInput!) {
      createCampaign(input: $input) {
        __typename
        ... on Campaign { narrationStyle }
        ... on Error { code field }
      }
    }
    """
    styled = await app_client.data(
        create, {"input": {"name": "Noir", "narrationStyle": "terse, present tense"}}, token=ada
    )
    before = await count_rows(engine)
    too_long = await app_client.data(
        create, {"input": {"name": "Noir", "narrationStyle": "x" * 501}}, token=ada
    )

    assert styled["createCampaign"] == {
        "__typename": "Campaign",
        "narrationStyle": "terse, present tense",
    }
    assert too_long["createCampaign"] == {
        "__typename": "InvalidInputError",
        "code": "INVALID_INPUT",
        "field": "narrationStyle",
    }
    assert await count_rows(engine) == before


SETTINGS = """
mutation($id: ID!, $input: CampaignSettingsInput!) {
  updateCampaignSettings(campaignId: $id, input: $input) {
    __typename
    ... on Campaign { narrationStyle version }
    ... on Error { code field }
  }
}
"""


async def test_directors_change_the_narration_style_and_others_cannot(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: Ada owns a campaign Bob co-authors
    ada, bob = await app_client.sign_up("Ada"), await app_client.sign_up("Bob")
    campaign = await create_campaign(app_client, ada)
    await app_client.data(
        'mutation($id: ID!) { addCampaignMember(campaignId: $id, email: "bob@example.com", '
        "role: COAUTHOR) { __typename } }",
        {"id": campaign["id"]},
        token=ada,
    )

    async def change(token: str, style: str) -> dict:
        data = await app_client.data(
            SETTINGS, {"id": campaign["id"], "input": {"narrationStyle": style}}, token=token
        )
        result: dict = data["updateCampaignSettings"]
        return result

    # when
    changed = await change(ada, "terse, present tense")
    before = await count_rows(engine)
    same = await change(ada, "terse, present tense")
    by_coauthor = await change(bob, "florid")
    too_long = await change(ada, "x" * 501)

    # then
    assert changed["narrationStyle"] == "terse, present tense"
    assert same == changed  # nothing changed, nothing written
    assert by_coauthor["code"] == "FORBIDDEN"
    assert (too_long["code"], too_long["field"]) == ("INVALID_INPUT", "narrationStyle")
    assert await count_rows(engine) == before
    types = await event_types(engine)
    assert types.count("campaigns.campaign.settings-changed") == 1
