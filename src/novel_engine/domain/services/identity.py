"""Signing up and logging in."""

from __future__ import annotations

from novel_engine.domain.actor import Actor
from novel_engine.domain.errors import EmailTaken, InvalidCredentials, InvalidInput
from novel_engine.domain.ports import PasswordHasher, UnitOfWork
from novel_engine.domain.user import User, normalize_email


async def sign_up(
    uow: UnitOfWork,
    actor: Actor,
    hasher: PasswordHasher,
    *,
    email: str,
    password: str,
    display_name: str,
) -> User:
    user = User.register(
        actor, email=email, display_name=display_name, password=password, hasher=hasher
    )
    async with uow:
        if await uow.users.get_by_email(user.email) is not None:
            raise EmailTaken()
        await uow.users.add(user)
        await uow.commit()
    return user


async def log_in(uow: UnitOfWork, hasher: PasswordHasher, *, email: str, password: str) -> User:
    """The same answer, and about the same time, for an unknown email and a wrong password."""
    try:
        address = normalize_email(email)
    except InvalidInput:
        address = None
    async with uow:
        user = await uow.users.get_by_email(address) if address else None
    if user is None:
        hasher.verify(None, password)
        raise InvalidCredentials()
    if not hasher.verify(user.password_hash, password):
        raise InvalidCredentials()
    return user
