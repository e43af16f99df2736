"""Authentication, one path for HTTP and WebSocket: a bearer credential, verified, naming a
user who exists, becomes the request's principal.

HTTP sends the credential in the `Authorization` header, WebSocket in the
`connection_init` payload; both hand the value here. A refusal is HTTP 401 (with
`WWW-Authenticate`) or WebSocket close 4403. Service API keys will be one more kind of
bearer credential checked here, resolving to a Principal like a token does.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Protocol

from novel_engine.domain.principal import Principal
from novel_engine.web.security import InvalidToken, JwtTokens


class Refused(Exception):
    """The credential offered proves no one; the request is refused, never run anonymously."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KnownUsers(Protocol):
    async def users_by_ids(self, ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, object]: ...


def bearer(authorization: str) -> str:
    """The credential of an `Authorization` value, which must read 'Bearer <credential>'."""
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise Refused("Authorization must be 'Bearer <token>'.")
    return credential.strip()


class Authenticator:
    def __init__(self, tokens: JwtTokens) -> None:
        self._tokens = tokens

    async def authenticate(self, authorization: str | None, users: KnownUsers) -> Principal | None:
        """The principal an `Authorization` value proves; None when none is offered.

        A well-signed token of a user that does not exist (any more) is refused here, in
        one read, rather than failing later inside a command.
        """
        if authorization is None:
            return None
        try:
            user_id = self._tokens.user_id(bearer(authorization))
        except InvalidToken as exc:
            raise Refused("The token is invalid or has expired; log in again.") from exc
        if user_id not in await users.users_by_ids([user_id]):
            raise Refused("The token's account does not exist; sign up or log in again.")
        return Principal(user_id)
