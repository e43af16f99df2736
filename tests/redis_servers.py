"""Redis for tests: the shared one from NOVEL_ENGINE_TEST_REDIS_URL, or one a test owns
(to kill and restart it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.databases import REDIS_ENV


def shared_redis_url() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} is not set: Redis tests skipped")
    redis.Redis.from_url(url).ping()  # set but unreachable: fail, do not skip
    return url


@pytest.fixture(params=["in-process", "redis"])
def hub_url(request: pytest.FixtureRequest) -> str | None:
    """None for the in-process hub, else a Redis URL."""
    return None if request.param == "in-process" else shared_redis_url()


class OwnRedis:
    """A redis-server process on a free port that a test may kill and start again."""

    def __init__(self, port: int, directory: Path) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._directory = directory
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        self._process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    shared_redis_url()
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: the Redis restart test needs its own")
    from tests.live_server import free_port

    server = OwnRedis(free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()
