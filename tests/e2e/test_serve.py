"""The newcomer's path, against a real server process on a port."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.databases import empty
from tests.e2e.server import EXECUTABLE, clean_env, running_server

pytestmark = pytest.mark.e2e

SIGN_UP = """mutation { signUp(input: {email: "ada@example.com", password: "correct horse",
  displayName: "Ada"}) { ... on AuthPayload { token } ... on Error { code message } } }"""

CREATE_ALL = """
mutation($storyChars: [ID!]) {
  story: createStory(input: {title: "The Drowned Map", genre: MYSTERY, tone: DARK,
    themes: ["loss"], characterIds: $storyChars}) { ... on Story { id } ... on Error { code } }
  campaign: createCampaign(input: {name: "Gloom", worldState: {weather: "rain"}}) {
    ... on Campaign { id } ... on Error { code }
  }
}
"""

NESTED = """
query($story: ID!, $campaign: ID!) {
  viewer { displayName email }
  story(id: $story) { title genre characters { name personality { openness } } }
  campaign(id: $campaign) {
    name worldState worldVersion
    members { role user { displayName } }
    characters { name owner { displayName } skills { name level } }
    events { edges { node { eventType } } }
  }
}
"""


def post(client: httpx.Client, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def newcomer_session(url: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        assert "graphiql.min.js" in client.get("/graphql", headers={"Accept": "text/html"}).text
        token = post(client, SIGN_UP)["signUp"]["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        mira = post(
            client,
            """mutation { createCharacter(input: {name: "Mira", kind: PROTAGONIST,
                 personality: {openness: 0.9}, skills: [{name: "maps", level: 7}]}) {
                 ... on Character { id } } }""",
        )["createCharacter"]["id"]
        created = post(client, CREATE_ALL, {"storyChars": [mira]})
        campaign = created["campaign"]["id"]
        added = post(
            client,
            "mutation($c: ID!, $m: ID!) { addCampaignCharacter(campaignId: $c, characterId: $m) "
            "{ __typename } }",
            {"c": campaign, "m": mira},
        )
        assert added["addCampaignCharacter"]["__typename"] == "Campaign"

        data = post(client, NESTED, {"story": created["story"]["id"], "campaign": campaign})

        assert data["viewer"] == {"displayName": "Ada", "email": "ada@example.com"}
        assert data["story"]["characters"] == [{"name": "Mira", "personality": {"openness": 0.9}}]
        assert data["campaign"]["members"] == [{"role": "OWNER", "user": {"displayName": "Ada"}}]
        assert data["campaign"]["characters"] == [
            {
                "name": "Mira",
                "owner": {"displayName": "Ada"},
                "skills": [{"name": "maps", "level": 7}],
            }
        ]
        assert [e["node"]["eventType"] for e in data["campaign"]["events"]["edges"]] == [
            "campaigns.campaign.created",
            "campaigns.campaign.character-added",
        ]
        assert client.get("/ready").json()["status"] == "ok"
        assert "novel_engine_graphql_requests_total" in client.get("/metrics").text


def test_serve_with_no_configuration_uses_an_embedded_sqlite_file(tmp_path: Path) -> None:
    with running_server(tmp_path, clean_env()) as url:
        newcomer_session(url)
    assert (tmp_path / "novel-engine.db").exists()
    assert (tmp_path / "novel-engine.secret").stat().st_mode & 0o077 == 0


def test_data_and_tokens_survive_a_restart(tmp_path: Path) -> None:
    with running_server(tmp_path, clean_env()) as url, httpx.Client(base_url=url) as client:
        token = post(client, SIGN_UP)["signUp"]["token"]
    with running_server(tmp_path, clean_env()) as url, httpx.Client(base_url=url) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        assert post(client, "{ viewer { displayName } }")["viewer"] == {"displayName": "Ada"}


def test_serve_on_postgresql_with_two_workers(tmp_path: Path, postgres_url: str) -> None:

    asyncio.run(empty(postgres_url))
    env = clean_env(
        NOVEL_ENGINE_DATABASE_URL=postgres_url,
        NOVEL_ENGINE_SECRET_KEY="e2e-secret-key-that-is-long-enough-for-hs256",
    )
    with running_server(tmp_path, env, workers=2) as url:
        newcomer_session(url)


def test_migrate_command_and_configuration_errors(tmp_path: Path) -> None:
    migrated = subprocess.run(
        [EXECUTABLE, "migrate"], cwd=tmp_path, env=clean_env(), capture_output=True, text=True
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "up to date" in migrated.stdout

    for env, message in [
        ({"NOVEL_ENGINE_DATABASE_URL": "mysql://x/y"}, "NOVEL_ENGINE_DATABASE_URL"),
        ({"NOVEL_ENGINE_LLM_PROVIDER": "gemini"}, "GEMINI_API_KEY"),
        (
            {"NOVEL_ENGINE_DATABASE_URL": "postgresql+asyncpg://u@127.0.0.1/x"},
            "NOVEL_ENGINE_SECRET_KEY",
        ),
    ]:
        failed = subprocess.run(
            [EXECUTABLE, "serve"],
            cwd=tmp_path,
            env=clean_env(**env),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert failed.returncode == 2
        assert message in failed.stderr
        assert "Traceback" not in failed.stderr

    unreachable = subprocess.run(
        [EXECUTABLE, "migrate"],
        cwd=tmp_path,
        env=clean_env(
            NOVEL_ENGINE_DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:1/none",
            NOVEL_ENGINE_SECRET_KEY="k" * 40,
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unreachable.returncode == 1
    assert "cannot migrate the database" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr
