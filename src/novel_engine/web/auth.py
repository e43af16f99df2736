"""Authentication, one path for HTTP and WebSocket: a bearer credential, verified, naming a
user who exists, becomes the request's principal.

HTTP sends the credential in the `Authorization` header, WebSocket in the
`connection_init` payload; both hand the value here. A refusal is HTTP 401 (with
`WWW-Authenticate`) or WebSocket close 4403. Service API keys will be one more kind of
bearer credential checked here, resolving to a Principal like a token does.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Protocol, TypeVar

from novel_engine.domain.principal import Principal
from novel_engine.web.security import InvalidToken, JwtTokens

K = TypeVar("K")
V = TypeVar("V")


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
    """Checks bearer credentials; remembers, within bounds, what it has checked.

    A request or a connection's init checks its token, and every client sends the same
    token again and again: a verified token is remembered until it expires (its signature
    cannot change), and a user once found is remembered as existing (accounts are never
    deleted). So an authenticated request costs neither a signature check nor a read.
    When tokens can be revoked, revocation must forget them here too.
    """

    def __init__(self, tokens: JwtTokens, remember: int = 10_000) -> None:
        self._tokens = tokens
        self._remember = remember
        self._verified: OrderedDict[str, tuple[uuid.UUID, float]] = OrderedDict()
        self._known: OrderedDict[uuid.UUID, None] = OrderedDict()

    async def authenticate(self, authorization: str | None, users: KnownUsers) -> Principal | None:
        """The principal an `Authorization` value proves; None when none is offered.

        A well-signed token of a user that does not exist is refused here, in one read,
        rather than failing later inside a command.
        """
        if authorization is None:
            return None
        user_id = self._verify(bearer(authorization))
        if user_id in self._known:
            self._known.move_to_end(user_id)
        elif user_id in await users.users_by_ids([user_id]):
            _keep(self._known, user_id, None, self._remember)
        else:
            raise Refused("The token's account does not exist; sign up or log in again.")
        return Principal(user_id)

    def _verify(self, token: str) -> uuid.UUID:
        remembered = self._verified.get(token)
        if remembered is not None and remembered[1] > time.time():
            self._verified.move_to_end(token)
            return remembered[0]
        self._verified.pop(token, None)
        try:
            user_id, expires = self._tokens.verify(token)
        except InvalidToken as exc:
            raise Refused("The token is invalid or has expired; log in again.") from exc
        _keep(self._verified, token, (user_id, expires), self._remember)
        return user_id


def _keep(cache: OrderedDict[K, V], key: K, value: V, bound: int) -> None:
    cache[key] = value
    if len(cache) > bound:
        cache.popitem(last=False)
