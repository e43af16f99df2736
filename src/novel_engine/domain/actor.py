"""Who is acting, and under which correlation, for one command."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from novel_engine.domain.errors import AuthenticationRequired


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)
    causation_id: uuid.UUID | None = None

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user_id=None)

    def require_user(self) -> uuid.UUID:
        if self.user_id is None:
            raise AuthenticationRequired()
        return self.user_id
