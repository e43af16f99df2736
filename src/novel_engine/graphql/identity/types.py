"""Users as others see them, and what signing in answers."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from novel_engine.domain.user import User as UserModel
from novel_engine.graphql.context import Info
from novel_engine.graphql.identity.loaders import UserByIdLoader
from novel_engine.persistence.queries import UserRecord


@strawberry.type
class User:
    id: strawberry.ID
    display_name: str
    created_at: datetime
    uid: strawberry.Private[uuid.UUID]
    private_email: strawberry.Private[str]
    is_self: strawberry.Private[bool] = False

    @strawberry.field(description="Only ever shown to the user themself.")
    def email(self, info: Info) -> str | None:
        return self.private_email if self.is_self or info.context.user_id == self.uid else None

    @classmethod
    def from_model(cls, user: UserRecord | UserModel, *, is_self: bool = False) -> User:
        """`is_self`: the user is the one being answered (just signed up or logged in)."""
        return cls(
            id=strawberry.ID(str(user.id)),
            display_name=user.display_name,
            created_at=user.created_at,
            uid=user.id,
            private_email=user.email,
            is_self=is_self,
        )


async def user_by_id(info: Info, user_id: uuid.UUID) -> User | None:
    found = await info.context.loader(UserByIdLoader).load(user_id)
    return User.from_model(found) if found else None


@strawberry.type
class AuthPayload:
    token: str
    user: User
