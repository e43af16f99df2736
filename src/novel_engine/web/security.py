"""Password hashing (argon2) and signed tokens (JWT, HS256)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError

ISSUER = "novel-engine"
TOKEN_LIFETIME = timedelta(days=7)


class Argon2Hasher:
    """Hashes in a worker thread so a sign-in never stalls other requests."""

    def __init__(self) -> None:
        self._argon2 = Argon2()
        self._decoy = self._argon2.hash("a password nobody has")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._argon2.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return bool(self._argon2.verify(password_hash or self._decoy, password)) and (
                password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False


class InvalidToken(Exception):
    pass


class JwtTokens:
    def __init__(self, secret_key: str, lifetime: timedelta = TOKEN_LIFETIME) -> None:
        self._key = secret_key
        self._lifetime = lifetime

    def issue(self, user_id: uuid.UUID) -> str:
        now = datetime.now(UTC)
        claims = {"sub": str(user_id), "iss": ISSUER, "iat": now, "exp": now + self._lifetime}
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, token: str) -> tuple[uuid.UUID, float]:
        """The user a well-signed, unexpired token names, and when it expires (epoch s)."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={"require": ["sub", "exp", "iss"]},
            )
            return uuid.UUID(claims["sub"]), float(claims["exp"])
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise InvalidToken(str(exc)) from exc
