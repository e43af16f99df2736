"""GraphQL over HTTP: media types, status codes, GET rules and bad requests."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql_client import AppClient
from tests.integration.helpers import count_rows, fragment_bomb

GQL_RESPONSE = "application/graphql-response+json"
CREATE_NAMED = 'mutation { createCampaign(input: {name: "NAME"}) { __typename } }'
SIGN_UP = (
    'mutation { signUp(input: {email: "a@b.co", password: "long enough", displayName: "A"}) '
    "{ __typename } }"
)


async def test_get_runs_queries(app_client: AppClient) -> None:
    response = await app_client.http.get(
        "/graphql",
        params={
            "query": "query Q($f: Int) { characters(first: $f) { edges { cursor } } }",
            "variables": json.dumps({"f": 1}),
            "operationName": "Q",
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"characters": {"edges": []}}}


async def test_get_refuses_mutations_and_writes_nothing(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    response = await app_client.http.get("/graphql", params={"query": SIGN_UP})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert (await count_rows(engine))["users"] == 0


async def test_a_subscription_sent_over_http_is_told_to_use_the_websocket(
    app_client: AppClient,
) -> None:
    # given
    document = "subscription($c: ID!) { presence(campaignId: $c) { online { id } } }"
    variables = json.dumps({"c": "00000000-0000-0000-0000-000000000000"})

    # when
    posted = await app_client.http.post(
        "/graphql", json={"query": document, "variables": json.loads(variables)}
    )
    got = await app_client.http.get("/graphql", params={"query": document, "variables": variables})

    # then
    for response in (posted, got):
        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert "WebSocket at /graphql" in error["message"]
        assert "GET" not in error["message"]


async def test_graphql_response_media_type_uses_status_codes(app_client: AppClient) -> None:
    headers = {"Accept": GQL_RESPONSE}
    cases = [
        ("{ viewer { id } }", 200),
        ("{ viewer { id ", 400),  # syntax error
        ("{ nothingHere }", 400),  # validation error
        ("query($f: Int!) { characters(first: $f) { edges { cursor } } }", 400),  # no variable
    ]
    for query, status in cases:
        response = await app_client.http.post("/graphql", json={"query": query}, headers=headers)
        assert response.status_code == status, (query, response.text)
        assert response.headers["content-type"].startswith(GQL_RESPONSE)
        body = response.json()
        assert ("data" in body) is (status == 200)


async def test_plain_json_answers_200_for_well_formed_requests(app_client: AppClient) -> None:
    response = await app_client.http.post(
        "/graphql", json={"query": "{ nothingHere }"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert "data" not in response.json()
    assert response.json()["errors"][0]["message"]


async def test_wrong_variable_types_are_request_errors(app_client: AppClient) -> None:
    response = await app_client.http.post(
        "/graphql",
        json={
            "query": "query($f: Int) { characters(first: $f) { edges { cursor } } }",
            "variables": {"f": "many"},
        },
        headers={"Accept": GQL_RESPONSE},
    )
    assert response.status_code == 400
    assert "$f" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"variables": {}}', "application/json", 400),
        (b'{"query": 42}', "application/json", 400),
        (b'{"query": "{ viewer { id } }", "variables": [1]}', "application/json", 400),
        (b'{"query": "{ viewer { id } }", "operationName": 7}', "application/json", 400),
        (b"query=x", "application/x-www-form-urlencoded", 415),
    ],
)
async def test_malformed_requests_get_a_4xx_with_a_reason(
    app_client: AppClient, content: bytes, content_type: str, status: int
) -> None:
    response = await app_client.http.post(
        "/graphql", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.json()["errors"][0]["message"]


async def test_unacceptable_accept_header_is_406(app_client: AppClient) -> None:
    response = await app_client.http.post(
        "/graphql", json={"query": "{ viewer { id } }"}, headers={"Accept": "text/csv"}
    )
    assert response.status_code == 406


async def test_oversized_bodies_are_refused(app_client: AppClient) -> None:
    query = "{ viewer { id } }" + " " * (1024 * 1024 + 1)
    response = await app_client.http.post("/graphql", json={"query": query})
    assert response.status_code == 413


async def test_documents_are_bounded_in_depth(app_client: AppClient) -> None:
    inner = "name"
    for _ in range(7):
        inner = f"relationships {{ character {{ {inner} }} }}"
    deep = f"{{ characters {{ edges {{ node {{ {inner} }} }} }} }}"
    response = await app_client.http.post(
        "/graphql", json={"query": deep}, headers={"Accept": GQL_RESPONSE}
    )
    assert response.status_code == 400
    assert "depth" in response.json()["errors"][0]["message"]


async def test_several_operations_need_an_operation_name(app_client: AppClient) -> None:
    document = "query A { viewer { id } } query B { viewer { id } }"
    response = await app_client.http.post(
        "/graphql", json={"query": document}, headers={"Accept": GQL_RESPONSE}
    )
    assert response.status_code == 400
    named = await app_client.http.post("/graphql", json={"query": document, "operationName": "B"})
    assert named.json() == {"data": {"viewer": None}}


async def test_a_client_correlation_id_only_tags_the_request(app_client: AppClient) -> None:
    # given: two requests that claim the same correlation
    token = await app_client.sign_up()
    claimed = "4b0e7d1c-55a5-4d5c-9a43-3c2d6a6a0c11"
    for name in ("One", "Two"):
        response = await app_client.http.post(
            "/graphql",
            json={"query": CREATE_NAMED.replace("NAME", name)},
            headers={"Authorization": f"Bearer {token}", "X-Correlation-ID": claimed},
        )
        # then: the header comes back as the request's tag
        assert response.headers["x-request-id"] == claimed

    # when
    data = await app_client.data(
        "{ campaigns { edges { node { events { edges { node { correlationId } } } } } } }",
        token=token,
    )

    # then: each command has a correlation of the server's making
    correlations = [
        e["node"]["correlationId"]
        for c in data["campaigns"]["edges"]
        for e in c["node"]["events"]["edges"]
    ]
    assert len(correlations) == 2
    assert len(set(correlations)) == 2
    assert claimed not in correlations


async def test_two_commands_in_one_request_have_their_own_correlations(
    app_client: AppClient,
) -> None:
    # given
    token = await app_client.sign_up()

    # when
    await app_client.data(
        'mutation { a: createCampaign(input: {name: "A"}) { __typename } '
        'b: createCampaign(input: {name: "B"}) { __typename } }',
        token=token,
    )

    # then
    data = await app_client.data(
        "{ campaigns { edges { node { events { edges { node { correlationId } } } } } } }",
        token=token,
    )
    correlations = {
        e["node"]["correlationId"]
        for c in data["campaigns"]["edges"]
        for e in c["node"]["events"]["edges"]
    }
    assert len(correlations) == 2


async def test_a_request_without_a_usable_tag_gets_one(app_client: AppClient) -> None:
    untagged = await app_client.http.post("/graphql", json={"query": "{ viewer { id } }"})
    garbled = await app_client.http.post(
        "/graphql", json={"query": "{ viewer { id } }"}, headers={"X-Request-ID": "a b\tc"}
    )
    tags = {untagged.headers["x-request-id"], garbled.headers["x-request-id"]}
    assert len(tags) == 2
    assert all(tag and " " not in tag for tag in tags)


async def test_graphiql_is_served_with_its_own_assets(app_client: AppClient) -> None:
    page = await app_client.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql.min.js" in page.text
    assert "unpkg" not in page.text
    assert "cdn" not in page.text.lower()
    for asset in (
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    ):
        response = await app_client.http.get(f"/graphiql/{asset}")
        assert response.status_code == 200, asset
        assert len(response.content) > 1000


async def test_health_ready_and_metrics(app_client: AppClient) -> None:
    await app_client.http.post("/graphql", json={"query": "{ viewer { id } }"})
    assert (await app_client.http.get("/health")).json() == {"status": "ok"}
    ready = await app_client.http.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    metrics = await app_client.http.get("/metrics")
    assert metrics.status_code == 200
    assert 'novel_engine_graphql_requests_total{method="POST",status="200"}' in metrics.text


async def test_unexpected_failures_are_masked_and_logged_with_the_request_tag(
    app_client: AppClient, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    # given: a table the server needs has gone away
    token = await app_client.sign_up()
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE story_entries RENAME TO story_entries_away"))
    try:
        # when
        response = await app_client.http.post(
            "/graphql",
            json={
                "query": 'mutation { createStory(input: {title: "T", genre: DRAMA}) '
                "{ ... on Story { events { edges { cursor } } } } }"
            },
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "tag-4711"},
        )
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE story_entries_away RENAME TO story_entries"))

    # then
    body = response.json()
    assert response.status_code == 200
    [error] = body["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "story_entries" not in response.text
    [logged] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert logged.getMessage().startswith("request tag-4711: ")
    assert logged.exc_info is not None


@pytest.mark.parametrize(("levels", "width"), [(26, 2), (10, 8)])
async def test_fragment_bombs_are_answered_without_expanding_every_path(
    app_client: AppClient, levels: int, width: int
) -> None:
    # given: a document under 1 KB whose fragments reach the leaf by 2**26 or 8**10 paths
    document = fragment_bomb(levels, width)
    assert len(document) < 1024
    # when
    response = await app_client.http.post("/graphql", json={"query": document})
    # then: answered (the limits count each fragment once; execution merges spreads)
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": None}}


async def test_aliases_multiplied_by_fragments_are_counted_and_refused(
    app_client: AppClient,
) -> None:
    document = fragment_bomb(26, 2, leaf="me: viewer { id }")
    response = await app_client.http.post(
        "/graphql", json={"query": document}, headers={"Accept": GQL_RESPONSE}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (f"{2**26} aliases found. Allowed: 30")


def nested(levels: int) -> object:
    """A JSON value `levels` deep (the outermost list counts as one)."""
    value: object = []
    for _ in range(levels - 1):
        value = [value]
    return value


VIEWER_ID = "{ viewer { id } }"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            '{"query": "{ viewer { id } }", "variables": {"x": ' + "[" * 5000 + "]" * 5000 + "}}",
            "The request body is nested deeper than 64 levels.",
        ),
        (
            '{"query": "{ viewer { id } }", "variables": {"x": ' + "9" * 4300 + "}}",
            "The request body holds a number longer than 100 characters.",
        ),
        (
            '{"query": "{ viewer { id } }", "variables": {"x": 1e400}}',
            "The request body holds a number out of range (1e400).",
        ),
        (
            '{"query": "{ viewer { id } }", "variables": {"x": NaN}}',
            "The request body holds NaN, which is not a JSON number.",
        ),
        (
            '{"query": "{ viewer { id } }", "variables": {"x": "\\ud800"}}',
            "The request body holds a lone UTF-16 surrogate (such as \\ud800), which is not text.",
        ),
        (
            '{"query": "{ viewer { id } }", "variables": {"x": "a\\u0000b"}}',
            "The request body holds a NUL character (\\u0000), which cannot be stored.",
        ),
        (
            '{"query": "{ viewer { id } }", "variables": {"\\udfff": 1}}',
            "The request body holds a lone UTF-16 surrogate (such as \\ud800), which is not text.",
        ),
        (
            b'{"query": "{ viewer { id } }", "variables": {"x": "\xff"}}',
            "The request body is not valid UTF-8 (byte 51).",
        ),
    ],
)
async def test_hostile_json_bodies_are_400_with_the_reason(
    app_client: AppClient, body: str | bytes, reason: str
) -> None:
    response = await app_client.http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"message": reason, "extensions": {"code": "BAD_REQUEST"}}]


async def test_request_json_may_nest_64_levels_and_no_more(app_client: AppClient) -> None:
    # the body is one level, `variables` a second
    deepest = {"query": VIEWER_ID, "variables": {"x": nested(62)}}
    too_deep = {"query": VIEWER_ID, "variables": {"x": nested(63)}}

    answered = await app_client.http.post("/graphql", json=deepest)
    refused = await app_client.http.post("/graphql", json=too_deep)

    assert answered.json() == {"data": {"viewer": None}}
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"] == (
        "The request body is nested deeper than 64 levels."
    )


@pytest.mark.parametrize(
    ("parameter", "value", "reason"),
    [
        ("variables", "[" * 5000 + "]" * 5000, "'variables' is nested deeper than 64 levels."),
        ("variables", '{"x": ' + "1" * 4301 + "}", "'variables' holds a number longer than 100"),
        ("extensions", '{"x": "\\ud83d"}', "'extensions' holds a lone UTF-16 surrogate"),
    ],
)
async def test_hostile_json_in_get_parameters_is_400_with_the_reason(
    app_client: AppClient, parameter: str, value: str, reason: str
) -> None:
    response = await app_client.http.get("/graphql", params={"query": VIEWER_ID, parameter: value})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith(reason)


async def test_a_lone_surrogate_is_refused_before_anything_is_stored(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given
    token = await app_client.sign_up()
    before = await count_rows(engine)
    body = (
        '{"query": "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) '
        '{ __typename } }", "variables": {"input": {"name": "Gloom", '
        '"worldState": {"sky": "\\ud800"}}}}'
    )
    # when
    response = await app_client.http.post(
        "/graphql",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    # then
    assert response.status_code == 400
    assert "surrogate" in response.json()["errors"][0]["message"]
    assert await count_rows(engine) == before
    assert await app_client.data("{ campaigns { edges { cursor } } }", token=token) == {
        "campaigns": {"edges": []}
    }


async def test_a_nul_inside_the_document_is_an_invalid_input_and_stores_nothing(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: the request JSON is clean; the GraphQL string literal escapes a NUL
    token = await app_client.sign_up()
    before = await count_rows(engine)
    # when
    data = await app_client.data(
        'mutation { createCampaign(input: {name: "Gloom\\u0000Harbour"}) {'
        " __typename ... on Error { code field } } }",
        token=token,
    )
    # then
    assert data["createCampaign"] == {
        "__typename": "InvalidInputError",
        "code": "INVALID_INPUT",
        "field": "name",
    }
    assert await count_rows(engine) == before
