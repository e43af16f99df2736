"""Loaders of the identity area."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from novel_engine.graphql.loaders import OneEachLoader
from novel_engine.persistence.queries import UserRecord


class UserByIdLoader(OneEachLoader[uuid.UUID, UserRecord]):
    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, UserRecord]:
        return await self.queries.users_by_ids(keys)
