"""An in-process client for the real ASGI app (lifespan included) over httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from novel_engine.domain.messagebus import Handlers
from novel_engine.web.app import create_app
from novel_engine.web.settings import Settings

SECRET = "test-secret-key-that-is-long-enough-for-hs256"


class AppClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """POST a document; return the whole response body (status must be 200)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """The `data` of a response that must have no errors."""
        body = await self.execute(query, variables, token=token)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def sign_up(self, name: str = "Ada", email: str | None = None) -> str:
        data = await self.data(
            """mutation($input: SignUpInput!) {
                 signUp(input: $input) { ... on AuthPayload { token } ... on Error { code } }
               }""",
            {
                "input": {
                    "email": email or f"{name.lower()}@example.com",
                    "password": "correct horse battery",
                    "displayName": name,
                }
            },
        )
        token: str = data["signUp"]["token"]
        return token


@asynccontextmanager
async def serving(settings: Settings, handlers: Handlers | None = None) -> AsyncIterator[AppClient]:
    """The app built as a server builds it (with `handlers` added), and a client for it."""
    app = create_app(settings, handlers)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield AppClient(http)


@pytest.fixture
async def app_client(database_url: str) -> AsyncIterator[AppClient]:
    async with serving(Settings(database_url=database_url, secret_key=SECRET)) as client:
        yield client
