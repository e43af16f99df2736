"""The newcomer's path, against a real server process on a port."""

from __future__ import annotations

import asyncio
import subprocess
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory

from novel_engine.persistence.engine import create_engine
from novel_engine.persistence.migrate import alembic_config, upgrade
from tests.databases import empty, sqlite_url
from tests.e2e.server import EXECUTABLE, clean_env, running_server
from tests.redis_servers import shared_redis_url

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


def server_output(cwd: Path, url: str) -> str:
    """What `serve` printed (stdout and stderr) while it ran on `url`."""
    return (cwd / f"server-{url.rsplit(':', 1)[1]}.log").read_text()


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXECUTABLE, *args],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
LONG_KEY = "k" * 40


def test_serve_with_no_configuration_uses_an_embedded_sqlite_file(tmp_path: Path) -> None:
    with running_server(tmp_path, clean_env()) as url:
        newcomer_session(url)
    assert (tmp_path / "novel-engine.db").exists()
    assert (tmp_path / "novel-engine.secret").stat().st_mode & 0o077 == 0


def test_serve_says_where_graphiql_is_and_what_it_runs_with(tmp_path: Path) -> None:
    with running_server(tmp_path, clean_env()) as url:
        first = server_output(tmp_path, url)
    with running_server(tmp_path, clean_env()) as again:
        second = server_output(tmp_path, again)

    assert f"GraphiQL  {url}/graphql" in first
    assert f"database  SQLite {tmp_path / 'novel-engine.db'}: created (revision {HEAD})" in first
    assert "live hub  in-process" in first
    assert "model     offline" in first
    assert f"database  SQLite {tmp_path / 'novel-engine.db'}: already up to date" in second


def test_serve_names_its_redis_hub_without_credentials(tmp_path: Path) -> None:
    # given: the test Redis lets the default user in with any password
    redis_url = shared_redis_url().replace("redis://", "redis://default:hunter2-secret@", 1)
    # when
    with running_server(tmp_path, clean_env(NOVEL_ENGINE_REDIS_URL=redis_url)) as url:
        output = server_output(tmp_path, url)
    # then
    assert "live hub  Redis redis://" in output
    assert "hunter2" not in output


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
        output = server_output(tmp_path, url)
    # without Redis, two workers serve but say what that costs
    assert "warning: --workers 2 without NOVEL_ENGINE_REDIS_URL" in output
    assert "within 10 s" in output


def test_migrate_says_what_it_did(tmp_path: Path) -> None:
    async def migrate_to_first_revision(url: str) -> None:
        engine = create_engine(url)
        await upgrade(engine, "0001")
        await engine.dispose()

    created = run("migrate", cwd=tmp_path)
    again = run("migrate", cwd=tmp_path)
    older = tmp_path / "older.db"
    asyncio.run(migrate_to_first_revision(sqlite_url(older)))
    upgraded = run(
        "migrate",
        cwd=tmp_path,
        NOVEL_ENGINE_DATABASE_URL=sqlite_url(older),
        NOVEL_ENGINE_SECRET_KEY=LONG_KEY,
    )

    database = tmp_path / "novel-engine.db"
    assert created.returncode == 0, created.stderr
    assert created.stdout == (
        f"novel-engine: database SQLite {database}: created (revision {HEAD}).\n"
    )
    assert again.stdout == (
        f"novel-engine: database SQLite {database}: already up to date (revision {HEAD}).\n"
    )
    assert upgraded.stdout == (
        f"novel-engine: database SQLite {older}: upgraded from 0001 to {HEAD}.\n"
    )


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        ((), {"NOVEL_ENGINE_DATABASE_URL": "mysql://x/y"}, "NOVEL_ENGINE_DATABASE_URL"),
        ((), {"NOVEL_ENGINE_LLM_PROVIDER": "gemini"}, "GEMINI_API_KEY"),
        (
            (),
            {"NOVEL_ENGINE_DATABASE_URL": "postgresql+asyncpg://u@127.0.0.1/x"},
            "NOVEL_ENGINE_SECRET_KEY",
        ),
        ((), {"NOVEL_ENGINE_REDIS_URL": "localhost:6379"}, "NOVEL_ENGINE_REDIS_URL"),
        ((), {"NOVEL_ENGINE_REDIS_URL": "redis://h:port/0"}, "NOVEL_ENGINE_REDIS_URL"),
        ((), {"NOVEL_ENGINE_REDIS_URL": "redis://h:6379/cache"}, "NOVEL_ENGINE_REDIS_URL"),
        ((), {"NOVEL_ENGINE_SECRET_KEY": "too-short"}, "NOVEL_ENGINE_SECRET_KEY"),
        (
            (),
            {"NOVEL_ENGINE_DATABASE_URL": "sqlite+aiosqlite:///missing/dir/novel.db"},
            "NOVEL_ENGINE_DATABASE_URL",
        ),
        (
            (),
            {
                "NOVEL_ENGINE_DATABASE_URL": "sqlite+aiosqlite:///missing/dir/novel.db",
                "NOVEL_ENGINE_SECRET_KEY": LONG_KEY,
            },
            "NOVEL_ENGINE_DATABASE_URL",
        ),
        (("--port", "0"), {}, "--port"),
        (("--port", "65536"), {}, "--port"),
        (("--port", "eighty"), {}, "--port"),
        (("--workers", "0"), {}, "--workers"),
    ],
)
def test_configurations_that_cannot_work_exit_2_with_one_line_naming_them(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], named: str
) -> None:
    failed = run("serve", *args, cwd=tmp_path, **env)

    assert failed.returncode == 2
    assert named in failed.stderr
    assert len(failed.stderr.splitlines()) == 1, failed.stderr
    assert "Traceback" not in failed.stderr
    assert list(tmp_path.iterdir()) == []  # nothing created: no database, key or folder


def test_an_unreachable_database_is_exit_1_without_a_traceback(tmp_path: Path) -> None:
    unreachable = run(
        "migrate",
        cwd=tmp_path,
        NOVEL_ENGINE_DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        NOVEL_ENGINE_SECRET_KEY=LONG_KEY,
    )
    assert unreachable.returncode == 1
    assert "cannot migrate the database" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr


def test_help_describes_every_option_with_its_default(tmp_path: Path) -> None:
    overview = run("--help", cwd=tmp_path)
    serve = run("serve", "--help", cwd=tmp_path)

    assert overview.returncode == serve.returncode == 0
    for command in ("serve", "migrate"):
        assert command in overview.stdout
    for option, default in [("--host", "127.0.0.1"), ("--port", "8000"), ("--workers", "1")]:
        # each option's help, from its name to the next option, on one line
        [described] = [
            " ".join(text.split())
            for text in serve.stdout.split("\n  -")
            if text.startswith(f"{option[1:]} ")
        ]
        assert f"(default: {default})" in described
    for variable, default in [
        ("NOVEL_ENGINE_DATABASE_URL", "sqlite+aiosqlite:///novel-engine.db"),
        ("NOVEL_ENGINE_REDIS_URL", "in-process hub"),
        ("NOVEL_ENGINE_LLM_PROVIDER", "offline"),
    ]:
        assert variable in serve.stdout
        assert default in serve.stdout


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    shown = run("--version", cwd=tmp_path)
    assert shown.returncode == 0
    assert shown.stdout == f"novel-engine {version('novel-engine')}\n"
