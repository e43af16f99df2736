"""A durable job whose server process is killed (`kill -9`) mid-job is finished by another
process (PostgreSQL) or by the restarted one (SQLite), and its effect is written once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from novel_engine.persistence.engine import create_engine
from tests.databases import empty, sqlite_url
from tests.e2e.server import clean_env, free_port, wait_until_up
from tests.jobs_support import effect_reason, job_rows

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")

START = """
mutation {
  signUp(input: {email: "ada@example.com", password: "correct horse", displayName: "Ada"}) {
    ... on AuthPayload { token }
  }
}
"""
CREATE = 'mutation { createCampaign(input: {name: "Gloom"}) { ... on Campaign { id } } }'
CAMPAIGN = """
query($id: ID!) {
  campaign(id: $id) {
    worldState
    events(first: 100) { edges { node { eventType payload } } }
  }
}
"""


JOB_SERVER = [sys.executable, "-m", "tests.e2e.job_server"]


class JobServer:
    """A server process on a free port, to kill outright: by default
    `python -m tests.e2e.job_server`, or `command` (given `--port N`)."""

    def __init__(self, env: dict[str, str], logs: Path, command: list[str] = JOB_SERVER) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        with (logs / f"job-server-{port}.log").open("w") as log:
            self.process = subprocess.Popen(
                [*command, "--port", str(port)],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._log = logs / log.name

    def wait_until_up(self) -> None:
        wait_until_up(self.process, self.url, self._log)

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def job_servers(env: dict[str, str], logs: Path, count: int) -> Iterator[list[JobServer]]:
    with ExitStack() as stack:
        servers = []
        for _ in range(count):
            server = JobServer(env, logs)
            stack.callback(server.stop)
            servers.append(server)
        for server in servers:
            server.wait_until_up()
        yield servers


def job_env(database_url: str, signals: Path) -> dict[str, str]:
    signals.mkdir()
    return clean_env(
        NOVEL_ENGINE_DATABASE_URL=database_url,
        NOVEL_ENGINE_SECRET_KEY="e2e-secret-key-that-is-long-enough-for-hs256",
        NOVEL_ENGINE_JOB_LEASE_SECONDS="2",
        NOVEL_ENGINE_TEST_JOB_DIR=str(signals),
        NOVEL_ENGINE_TEST_JOB_SECONDS="5",
    )


def post(url: str, query: str, variables: dict[str, Any] | None = None, token: str = "") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def runs(signals: Path) -> list[tuple[str, int, int]]:
    """(job id, attempt, pid) of every run started so far."""
    found = []
    for path in signals.glob("*.started"):
        job_id, attempt, pid, _ = path.name.split(".")
        found.append((job_id, int(attempt), int(pid)))
    return sorted(found, key=lambda run: run[1])


def wait_for(value: Callable[[], T], within: float = 45) -> T:
    deadline = time.monotonic() + within
    while not (found := value()):
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)
    return found


def jobs_in(database_url: str) -> list[tuple[str, int]]:
    async def read() -> list[tuple[str, int]]:
        engine = create_engine(database_url)
        try:
            return [(row.status, row.attempts) for row in await job_rows(engine)]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def assert_marked_once(url: str, token: str, campaign: str, job_id: str) -> None:
    """The campaign shows the job's effect, and exactly one event for it."""
    data = post(url, CAMPAIGN, {"id": campaign}, token)["campaign"]
    assert data["worldState"] == {"marks": {job_id: 2}}
    reasons = [
        edge["node"]["payload"]["changeReason"]
        for edge in data["events"]["edges"]
        if edge["node"]["eventType"] == "campaigns.world.state-changed"
    ]
    assert reasons == [effect_reason(job_id)]


def start_campaign(url: str) -> tuple[str, str]:
    token: str = post(url, START)["signUp"]["token"]
    campaign: str = post(url, CREATE, token=token)["createCampaign"]["id"]
    return token, campaign


def test_postgresql_a_job_killed_mid_run_is_finished_by_another_process(
    tmp_path: Path, postgres_url: str
) -> None:
    # given: two server processes on one database
    asyncio.run(empty(postgres_url))
    signals = tmp_path / "signals"
    with job_servers(job_env(postgres_url, signals), tmp_path, 2) as servers:
        token, campaign = start_campaign(servers[0].url)

        # when: the process running the job is killed mid-job
        [(job_id, _, pid)] = wait_for(lambda: runs(signals))
        [victim] = [s for s in servers if s.process.pid == pid]
        [survivor] = [s for s in servers if s is not victim]
        victim.kill()

        # then: the other process runs it again, and its effect is written once
        second = wait_for(lambda: [r for r in runs(signals) if r[1] == 2])
        assert second == [(job_id, 2, survivor.process.pid)]
        wait_for(lambda: jobs_in(postgres_url) == [("done", 2)])
        assert_marked_once(survivor.url, token, campaign, job_id)


def test_sqlite_a_job_killed_mid_run_is_finished_by_the_restarted_process(
    tmp_path: Path,
) -> None:
    # given: one server process on an SQLite file
    database_url = sqlite_url(tmp_path / "novel-engine.db")
    signals = tmp_path / "signals"
    env = job_env(database_url, signals)
    with job_servers(env, tmp_path, 1) as [first]:
        token, campaign = start_campaign(first.url)

        # when: it is killed mid-job, and started again
        [(job_id, _, _)] = wait_for(lambda: runs(signals))
        first.kill()
        with job_servers(env, tmp_path, 1) as [restarted]:
            # then: the restarted process finishes the job, and its effect is written once
            second = wait_for(lambda: [r for r in runs(signals) if r[1] == 2])
            assert second == [(job_id, 2, restarted.process.pid)]
            wait_for(lambda: jobs_in(database_url) == [("done", 2)])
            assert_marked_once(restarted.url, token, campaign, job_id)
