from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql_client import AppClient
from tests.integration.helpers import count_rows, create_character, event_types

CREATE_STORY = """
mutation($input: CreateStoryInput!) {
  createStory(input: $input) {
    __typename
    ... on Story { id title genre tone themes visibility characters { name } }
    ... on Error { code message field }
  }
}
"""

ADD_EVENT = """
mutation($id: ID!, $input: StoryEventInput!) {
  addStoryEvent(storyId: $id, input: $input) {
    __typename
    ... on StoryEventAdded { story { version } event { sequence plotPoint characters { name } } }
    ... on Error { code message field }
  }
}
"""

STORY_EVENTS = """
query($id: ID!, $after: String) {
  story(id: $id) {
    events(first: 2, after: $after) {
      edges { cursor node { sequence description plotPoint } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""


async def create_story(app_client: AppClient, token: str, **fields: object) -> dict:
    variables = {"input": {"title": "The Drowned Map", "genre": "SCI_FI", **fields}}
    data = await app_client.data(CREATE_STORY, variables, token=token)
    return data["createStory"]


async def test_create_a_story_with_its_cast(app_client: AppClient, engine: AsyncEngine) -> None:
    token = await app_client.sign_up()
    mira = await create_character(app_client, token, "Mira")

    story = await create_story(
        app_client,
        token,
        themes=["loss", "Loss", "tides"],
        tone="DARK",
        characterIds=[mira["id"]],
    )

    assert story["__typename"] == "Story"
    assert story["genre"] == "SCI_FI"
    assert story["themes"] == ["loss", "tides"]
    assert story["characters"] == [{"name": "Mira"}]
    assert "narratives.story.created" in await event_types(engine)


async def test_casting_a_character_you_cannot_see_writes_nothing(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    ada = await app_client.sign_up("Ada")
    bob = await app_client.sign_up("Bob")
    secret = await create_character(app_client, bob, "Secret")
    before = await count_rows(engine)

    for ids in ([secret["id"]], ["not-a-uuid"], ["00000000-0000-0000-0000-000000000001"]):
        story = await create_story(app_client, ada, characterIds=ids)
        assert story["__typename"] == "NotFoundError"
        assert story["field"] == "characterIds"
    assert await count_rows(engine) == before


async def test_story_events_are_told_in_order_and_paged(app_client: AppClient) -> None:
    token = await app_client.sign_up()
    mira = await create_character(app_client, token, "Mira")
    story = await create_story(app_client, token, characterIds=[mira["id"]])
    beats = [
        ("A map washes ashore.", None, [mira["id"]]),
        ("The harbour burns.", "INCITING_INCIDENT", []),
        ("Mira sails.", "RISING_ACTION", [mira["id"]]),
    ]
    for description, plot_point, ids in beats:
        added = await app_client.data(
            ADD_EVENT,
            {
                "id": story["id"],
                "input": {"description": description, "plotPoint": plot_point, "characterIds": ids},
            },
            token=token,
        )
        assert added["addStoryEvent"]["__typename"] == "StoryEventAdded"
    assert added["addStoryEvent"]["event"] == {
        "sequence": 3,
        "plotPoint": "RISING_ACTION",
        "characters": [{"name": "Mira"}],
    }

    first = (await app_client.data(STORY_EVENTS, {"id": story["id"]}, token=token))["story"]
    after = first["events"]["pageInfo"]["endCursor"]
    second = (
        await app_client.data(STORY_EVENTS, {"id": story["id"], "after": after}, token=token)
    )["story"]

    assert [e["node"]["sequence"] for e in first["events"]["edges"]] == [1, 2]
    assert first["events"]["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["description"] for e in second["events"]["edges"]] == ["Mira sails."]
    assert second["events"]["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "endCursor": second["events"]["edges"][-1]["cursor"],
    }


async def test_only_the_owner_adds_events_and_others_cannot_see_private_stories(
    app_client: AppClient,
) -> None:
    ada = await app_client.sign_up("Ada")
    bob = await app_client.sign_up("Bob")
    private = await create_story(app_client, ada)
    public = await create_story(app_client, ada, visibility="PUBLIC")

    hidden = await app_client.data(
        ADD_EVENT, {"id": private["id"], "input": {"description": "x"}}, token=bob
    )
    forbidden = await app_client.data(
        ADD_EVENT, {"id": public["id"], "input": {"description": "x"}}, token=bob
    )
    stranger = await app_client.data(
        ADD_EVENT,
        {
            "id": public["id"],
            "input": {"description": "x", "characterIds": ["00000000-0000-0000-0000-000000000002"]},
        },
        token=ada,
    )

    assert hidden["addStoryEvent"]["code"] == "NOT_FOUND"
    assert forbidden["addStoryEvent"]["code"] == "FORBIDDEN"
    assert stranger["addStoryEvent"]["field"] == "characterIds"
    anonymous = await app_client.data("{ stories { edges { node { title visibility } } } }")
    assert [e["node"]["visibility"] for e in anonymous["stories"]["edges"]] == ["PUBLIC"]
    assert (
        await app_client.data(
            "query($id: ID!) { story(id: $id) { id } }", {"id": private["id"]}, token=bob
        )
    ) == {"story": None}
