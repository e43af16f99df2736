"""A person with an account: who owns characters, stories and campaigns."""

from __future__ import annotations

import re
from dataclasses import dataclass

from novel_engine.domain.actor import Actor
from novel_engine.domain.aggregate import Aggregate
from novel_engine.domain.errors import InvalidInput
from novel_engine.domain.events import AggregateType, EventType
from novel_engine.domain.values import is_valid_text, require_text, require_valid_text

EMAIL_MAX = 254
PASSWORD_MIN = 8
PASSWORD_MAX = 256
DISPLAY_NAME_MAX = 100
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(email: str) -> str:
    address = email.strip().lower()
    if len(address) > EMAIL_MAX or not _EMAIL.match(address) or not is_valid_text(address):
        raise InvalidInput("Enter a valid email address.", "email")
    return address


def check_password(password: str) -> str:
    require_valid_text(password, "password")
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInput(
            f"Passwords are {PASSWORD_MIN} to {PASSWORD_MAX} characters long.", "password"
        )
    return password


@dataclass(kw_only=True)
class User(Aggregate):
    aggregate_type = AggregateType.USER

    email: str
    display_name: str
    password_hash: str

    @classmethod
    def register(cls, actor: Actor, *, email: str, display_name: str, password_hash: str) -> User:
        user = cls(
            email=normalize_email(email),
            display_name=require_text(display_name, "displayName", max_length=DISPLAY_NAME_MAX),
            password_hash=password_hash,
        )
        as_user = Actor(user.id, actor.correlation_id, actor.causation_id)
        user._record(
            as_user,
            EventType.USER_REGISTERED,
            {"userId": str(user.id), "email": user.email, "displayName": user.display_name},
        )
        return user
