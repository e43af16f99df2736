"""Signing up and logging in."""

from __future__ import annotations

from novel_engine.domain.actor import Actor
from novel_engine.domain.commands import LogIn, SignUp
from novel_engine.domain.errors import EmailTaken, InvalidCredentials, InvalidInput
from novel_engine.domain.ports import PasswordHasher, UnitOfWork
from novel_engine.domain.user import (
    DISPLAY_NAME_MAX,
    User,
    check_password,
    normalize_email,
)
from novel_engine.domain.values import is_valid_text, require_text


async def sign_up(uow: UnitOfWork, actor: Actor, hasher: PasswordHasher, command: SignUp) -> User:
    address = normalize_email(command.email)
    require_text(command.display_name, "displayName", max_length=DISPLAY_NAME_MAX)
    password_hash = await hasher.hash(check_password(command.password))
    user = User.register(
        actor, email=address, display_name=command.display_name, password_hash=password_hash
    )
    async with uow:
        if await uow.users.get_by_email(user.email) is not None:
            raise EmailTaken()
        await uow.users.add(user)
        await uow.commit()
    return user


async def log_in(uow: UnitOfWork, hasher: PasswordHasher, command: LogIn) -> User:
    """The same answer, and about the same time, for an unknown email and a wrong password."""
    password = command.password
    try:
        address = normalize_email(command.email)
    except InvalidInput:
        address = None
    async with uow:
        user = await uow.users.get_by_email(address) if address else None
    # No account has a password that is not valid text (sign-up refuses one).
    readable = password if is_valid_text(password) else None
    if user is None or readable is None:
        await hasher.verify(None, readable or "")
        raise InvalidCredentials()
    if not await hasher.verify(user.password_hash, password):
        raise InvalidCredentials()
    return user
