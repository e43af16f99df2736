from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.persistence.engine import create_engine
from tests.databases import database_url, postgres_url, sqlite_template  # noqa: F401
from tests.graphql_client import AppClient, app_client
from tests.redis_servers import hub_url, own_redis  # noqa: F401

__all__ = ["AppClient", "app_client"]


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:  # noqa: F811
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()
