"""The authenticator remembers what it checked, and never more than it may."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta

import pytest

from novel_engine.web.auth import Authenticator, Refused
from novel_engine.web.security import JwtTokens

SECRET = "a-secret-key-that-is-long-enough-for-hs256"


class Users:
    """The accounts that exist; counts the reads."""

    def __init__(self, *ids: uuid.UUID) -> None:
        self.ids = set(ids)
        self.reads = 0

    async def users_by_ids(self, ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, object]:
        self.reads += 1
        return {i: object() for i in ids if i in self.ids}


class CountingTokens(JwtTokens):
    def __init__(self, lifetime: timedelta = timedelta(days=7)) -> None:
        super().__init__(SECRET, lifetime)
        self.verified = 0

    def verify(self, token: str) -> tuple[uuid.UUID, float]:
        self.verified += 1
        return super().verify(token)


async def test_a_token_used_again_costs_neither_a_signature_check_nor_a_read() -> None:
    ada = uuid.uuid4()
    users, tokens = Users(ada), CountingTokens()
    auth = Authenticator(tokens)
    token = tokens.issue(ada)

    for _ in range(5):
        principal = await auth.authenticate(f"Bearer {token}", users)
        assert principal is not None
        assert principal.user_id == ada

    assert (tokens.verified, users.reads) == (1, 1)


async def test_unknown_accounts_and_bad_tokens_are_checked_every_time() -> None:
    ghost = uuid.uuid4()
    users, tokens = Users(), CountingTokens()
    auth = Authenticator(tokens)
    token = tokens.issue(ghost)

    for _ in range(2):
        with pytest.raises(Refused, match="does not exist"):
            await auth.authenticate(f"Bearer {token}", users)
        with pytest.raises(Refused, match="invalid or has expired"):
            await auth.authenticate(f"Bearer {token}x", users)
    assert users.reads == 2

    # and once the account exists, the same token is accepted
    users.ids.add(ghost)
    assert await auth.authenticate(f"Bearer {token}", users) is not None


async def test_a_remembered_token_is_refused_once_it_expires() -> None:
    ada = uuid.uuid4()
    users, tokens = Users(ada), CountingTokens(lifetime=timedelta(seconds=1))
    auth = Authenticator(tokens)
    token = tokens.issue(ada)
    assert await auth.authenticate(f"Bearer {token}", users) is not None

    await asyncio.sleep(1.1)

    with pytest.raises(Refused, match="expired"):
        await auth.authenticate(f"Bearer {token}", users)


async def test_what_it_remembers_is_bounded() -> None:
    users, tokens = Users(), CountingTokens()
    auth = Authenticator(tokens, remember=3)
    ids = [uuid.uuid4() for _ in range(5)]
    users.ids.update(ids)
    issued = [tokens.issue(i) for i in ids]
    for token in issued:
        await auth.authenticate(f"Bearer {token}", users)

    await auth.authenticate(f"Bearer {issued[0]}", users)  # forgotten: checked again

    assert tokens.verified == 6
    assert users.reads == 6
