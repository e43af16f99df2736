import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.web.security import JwtTokens
from tests.graphql_client import SECRET, AppClient
from tests.integration.helpers import count_rows, event_types

SIGN_UP = """
mutation($input: SignUpInput!) {
  signUp(input: $input) {
    __typename
    ... on AuthPayload { token user { id displayName email } }
    ... on Error { code message field }
  }
}
"""

LOG_IN = """
mutation($input: LogInInput!) {
  logIn(input: $input) {
    __typename
    ... on AuthPayload { token user { displayName } }
    ... on Error { code message field }
  }
}
"""


def sign_up_input(email: str = "ada@example.com", password: str = "correct horse") -> dict:
    return {"input": {"email": email, "password": password, "displayName": "Ada"}}


async def test_sign_up_returns_a_token_that_identifies_the_viewer(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # when
    data = await app_client.data(SIGN_UP, sign_up_input())

    # then
    payload = data["signUp"]
    assert payload["__typename"] == "AuthPayload"
    assert payload["user"]["email"] == "ada@example.com"
    viewer = await app_client.data("{ viewer { id displayName } }", token=payload["token"])
    assert viewer["viewer"] == {"id": payload["user"]["id"], "displayName": "Ada"}
    assert await event_types(engine) == ["shared.user.registered"]


async def test_anonymous_viewer_is_null(app_client: AppClient) -> None:
    assert await app_client.data("{ viewer { id } }") == {"viewer": None}


async def test_duplicate_email_is_a_typed_error_and_writes_nothing(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given
    await app_client.data(SIGN_UP, sign_up_input())
    before = await count_rows(engine)

    # when
    data = await app_client.data(SIGN_UP, sign_up_input(email=" ADA@Example.com"))

    # then
    assert data["signUp"]["__typename"] == "EmailTakenError"
    assert data["signUp"]["code"] == "EMAIL_TAKEN"
    assert data["signUp"]["field"] == "email"
    assert await count_rows(engine) == before


async def test_bad_sign_up_input_names_the_field(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    for variables, field in [
        (sign_up_input(email="not-an-email"), "email"),
        (sign_up_input(password="short"), "password"),
        (
            {"input": {"email": "a@b.co", "password": "long enough", "displayName": ""}},
            "displayName",
        ),
        (
            {"input": {"email": "a@b.co", "password": "long enough", "displayName": "x" * 101}},
            "displayName",
        ),
    ]:
        data = await app_client.data(SIGN_UP, variables)
        assert data["signUp"]["code"] == "INVALID_INPUT"
        assert data["signUp"]["field"] == field
    assert (await count_rows(engine))["users"] == 0


async def test_log_in_with_right_and_wrong_passwords(app_client: AppClient) -> None:
    await app_client.data(SIGN_UP, sign_up_input())

    ok = await app_client.data(
        LOG_IN, {"input": {"email": "ada@example.com", "password": "correct horse"}}
    )
    wrong = await app_client.data(
        LOG_IN, {"input": {"email": "ada@example.com", "password": "wrong horse"}}
    )
    unknown = await app_client.data(
        LOG_IN, {"input": {"email": "bob@example.com", "password": "correct horse"}}
    )

    assert ok["logIn"]["__typename"] == "AuthPayload"
    viewer = await app_client.data("{ viewer { displayName } }", token=ok["logIn"]["token"])
    assert viewer["viewer"]["displayName"] == "Ada"
    assert wrong["logIn"]["code"] == unknown["logIn"]["code"] == "INVALID_CREDENTIALS"
    assert wrong["logIn"]["message"] == unknown["logIn"]["message"]


async def test_a_forged_or_garbled_token_is_refused_with_401(app_client: AppClient) -> None:
    token = await app_client.sign_up()
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for header in [f"Bearer {forged}", "Bearer not-a-jwt", "Basic abc", "Bearer "]:
        response = await app_client.http.post(
            "/graphql", json={"query": "{ viewer { id } }"}, headers={"Authorization": header}
        )
        assert response.status_code == 401, header
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "Bearer" in response.headers["www-authenticate"]


async def test_a_signed_token_of_a_user_who_does_not_exist_is_refused_with_401(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: a token signed with the server's key, for no account
    token = JwtTokens(SECRET).issue(uuid.uuid4())
    before = await count_rows(engine)

    # when
    response = await app_client.http.post(
        "/graphql",
        json={"query": 'mutation { createCampaign(input: {name: "C"}) { __typename } }'},
        headers={"Authorization": f"Bearer {token}"},
    )

    # then
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Bearer" in response.headers["www-authenticate"]
    assert await count_rows(engine) == before
