"""Configuration from the environment (names in the public contract)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio.connection import parse_url
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from novel_engine.domain.memory import DEFAULT_REFLECTION_THRESHOLD, RetrievalWeights

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///novel-engine.db"
LLM_PROVIDERS = ("offline", "gemini", "openai")
DEFAULT_GEMINI_MODEL = "gemini-2.5-flash"
DEFAULT_LLM_TIMEOUT = 30.0
MIN_SECRET_LENGTH = 32
REDIS_URL_FORMS = "redis://host:6379/0, rediss://host:6379/0 or unix:///path/to/redis.sock"


class ConfigurationError(Exception):
    """The environment describes a server that cannot run; the message says how to fix it."""


# How many AI-played characters may react to one turn (each is a model call).
MAX_REACTIONS_PER_TURN = 20


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    secret_key: str = ""
    llm_provider: str = "offline"
    gemini_api_key: str | None = None
    gemini_model: str = DEFAULT_GEMINI_MODEL
    gemini_base_url: str | None = None
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = DEFAULT_LLM_TIMEOUT
    max_body_bytes: int = 1024 * 1024
    ws_init_timeout: float = 3.0
    subscriber_queue_limit: int = 1_000
    # permessage-deflate on WebSockets: off, for the CPU (see docs/operations.md).
    ws_compression: bool = False
    # A log line per HTTP request and WebSocket connection: off, for speed and privacy.
    access_log: bool = False
    presence_ttl: float = 30.0
    job_concurrency: int = 4
    job_lease_seconds: float = 30.0
    reactions_per_turn: int = 3
    # Memory retrieval: the weights of recency, relevance and importance in the score.
    memory_recency_weight: float = 0.5
    memory_relevance_weight: float = 3.0
    memory_importance_weight: float = 2.0
    # Importance accumulated since a character last reflected that makes it reflect.
    reflection_threshold: int = DEFAULT_REFLECTION_THRESHOLD

    @property
    def retrieval_weights(self) -> RetrievalWeights:
        return RetrievalWeights(
            self.memory_recency_weight, self.memory_relevance_weight, self.memory_importance_weight
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, signing: bool = True) -> Settings:
        """The settings the environment gives. With `signing` false (a command that signs
        no token, like replay) no secret key is required, and none is generated."""
        env = os.environ if env is None else env
        database_url = env.get("NOVEL_ENGINE_DATABASE_URL") or DEFAULT_DATABASE_URL
        url = _database_url(database_url)
        models = _model_settings(env)
        redis_url = _redis_url(env.get("NOVEL_ENGINE_REDIS_URL") or None)
        job_concurrency = int(_positive(env, "NOVEL_ENGINE_JOB_CONCURRENCY", 4, whole=True))
        job_lease_seconds = _positive(env, "NOVEL_ENGINE_JOB_LEASE_SECONDS", 30.0)
        reactions = env.get("NOVEL_ENGINE_REACTIONS_PER_TURN") or "3"
        if not reactions.isdigit() or int(reactions) > MAX_REACTIONS_PER_TURN:
            raise ConfigurationError(
                "NOVEL_ENGINE_REACTIONS_PER_TURN must be a whole number from 0 to "
                f"{MAX_REACTIONS_PER_TURN}, not {reactions!r}."
            )
        memory = _memory_settings(env)
        ws_compression = _switch(env, "NOVEL_ENGINE_WS_COMPRESSION", default=False)
        access_log = _switch(env, "NOVEL_ENGINE_ACCESS_LOG", default=False)
        # Last: a refused configuration must not leave a generated key behind.
        secret = _secret_key(env.get("NOVEL_ENGINE_SECRET_KEY")) or (
            _embedded_secret(url) if signing else ""
        )
        return cls(
            database_url=database_url,
            redis_url=redis_url,
            secret_key=secret,
            **models,
            job_concurrency=job_concurrency,
            job_lease_seconds=job_lease_seconds,
            reactions_per_turn=int(reactions),
            ws_compression=ws_compression,
            access_log=access_log,
            **memory,
        )


SWITCH_VALUES = {"1": True, "true": True, "on": True, "0": False, "false": False, "off": False}


def _switch(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name)
    if not raw:
        return default
    value = SWITCH_VALUES.get(raw.strip().lower())
    if value is None:
        raise ConfigurationError(f"{name} must be on or off (1 or 0), not {raw!r}.")
    return value


def _memory_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Memory retrieval weights (each 0 or more) and the reflection threshold."""
    weights = {}
    for part, default in (("recency", 0.5), ("relevance", 3.0), ("importance", 2.0)):
        name = f"NOVEL_ENGINE_MEMORY_{part.upper()}_WEIGHT"
        raw = env.get(name)
        try:
            value = float(raw) if raw else default
        except ValueError:
            value = -1.0
        if not 0 <= value < float("inf"):
            raise ConfigurationError(f"{name} must be a number of 0 or more, not {raw!r}.")
        weights[f"memory_{part}_weight"] = value
    threshold = int(
        _positive(
            env, "NOVEL_ENGINE_REFLECTION_THRESHOLD", DEFAULT_REFLECTION_THRESHOLD, whole=True
        )
    )
    return {**weights, "reflection_threshold": threshold}


def _model_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The language model's configuration, complete for the provider it names."""
    provider = env.get("NOVEL_ENGINE_LLM_PROVIDER") or "offline"
    if provider not in LLM_PROVIDERS:
        raise ConfigurationError(
            f"NOVEL_ENGINE_LLM_PROVIDER must be one of {', '.join(LLM_PROVIDERS)}."
        )
    gemini_key = env.get("GEMINI_API_KEY") or None
    if provider == "gemini" and not gemini_key:
        raise ConfigurationError("NOVEL_ENGINE_LLM_PROVIDER=gemini needs GEMINI_API_KEY.")
    llm_base_url = env.get("NOVEL_ENGINE_LLM_BASE_URL") or None
    llm_model = env.get("NOVEL_ENGINE_LLM_MODEL") or None
    if provider == "openai":
        if not llm_base_url:
            raise ConfigurationError(
                "NOVEL_ENGINE_LLM_PROVIDER=openai needs NOVEL_ENGINE_LLM_BASE_URL "
                "(e.g. http://127.0.0.1:11434/v1)."
            )
        if not llm_model:
            raise ConfigurationError(
                "NOVEL_ENGINE_LLM_PROVIDER=openai needs NOVEL_ENGINE_LLM_MODEL (e.g. llama3.1)."
            )
    return {
        "llm_provider": provider,
        "gemini_api_key": gemini_key,
        "gemini_model": env.get("NOVEL_ENGINE_GEMINI_MODEL") or DEFAULT_GEMINI_MODEL,
        "gemini_base_url": _http_url(env, "NOVEL_ENGINE_GEMINI_BASE_URL"),
        "llm_base_url": _http_url(env, "NOVEL_ENGINE_LLM_BASE_URL"),
        "llm_model": llm_model,
        "llm_api_key": env.get("NOVEL_ENGINE_LLM_API_KEY") or None,
        "llm_timeout": _positive(env, "NOVEL_ENGINE_LLM_TIMEOUT", DEFAULT_LLM_TIMEOUT),
    }


def _http_url(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name) or None
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{name} must be an http:// or https:// URL with a host, not {value!r}."
        )
    return value


def _database_url(value: str) -> URL:
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise ConfigurationError(f"NOVEL_ENGINE_DATABASE_URL is not a URL: {exc}") from exc
    if url.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise ConfigurationError(
            "NOVEL_ENGINE_DATABASE_URL must start with sqlite+aiosqlite:// or "
            f"postgresql+asyncpg://, not {url.drivername}://"
        )
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        # Refused rather than created: a mistyped path would put the data somewhere
        # nobody looks, or fail only at the first connection.
        folder = Path(url.database).parent
        if not folder.is_dir():
            raise ConfigurationError(
                f"NOVEL_ENGINE_DATABASE_URL names a file in {folder}/, "
                "a folder that does not exist: create it, or choose another path."
            )
        if not os.access(folder, os.W_OK):
            raise ConfigurationError(
                f"NOVEL_ENGINE_DATABASE_URL names a file in {folder}/, "
                "a folder this user cannot write to."
            )
    return url


def _secret_key(value: str | None) -> str | None:
    if value and len(value) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            f"NOVEL_ENGINE_SECRET_KEY has {len(value)} characters; use at least "
            f"{MIN_SECRET_LENGTH} random ones (python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')."
        )
    return value


def _redis_url(value: str | None) -> str | None:
    """Check the URL as the Redis client will read it, without connecting."""
    if value is None:
        return None
    try:
        parse_url(value)
        parts = urlsplit(value)
    except ValueError as exc:
        raise ConfigurationError(
            f"NOVEL_ENGINE_REDIS_URL is not a Redis URL ({exc}); use {REDIS_URL_FORMS}."
        ) from exc
    database = parts.path.strip("/")
    if parts.scheme != "unix" and database and not database.isdigit():
        raise ConfigurationError(
            f"NOVEL_ENGINE_REDIS_URL names database {database!r}; Redis databases are "
            f"numbers: use {REDIS_URL_FORMS}."
        )
    return value


def _positive(env: Mapping[str, str], name: str, default: float, *, whole: bool = False) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = 0
    if not value > 0 or value == float("inf"):
        kind = "a whole number" if whole else "a number of seconds"
        raise ConfigurationError(f"{name} must be {kind} greater than 0, not {raw!r}.")
    return value


def _embedded_secret(url: URL) -> str:
    """With the embedded SQLite file, keep a generated signing key beside it."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        raise ConfigurationError(
            "Set NOVEL_ENGINE_SECRET_KEY (at least 32 random characters) to sign tokens."
        )
    path = Path(database).with_suffix(".secret")
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    secret = path.read_text().strip()
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            f"{path} holds a key shorter than {MIN_SECRET_LENGTH} characters: delete it to "
            "have a new one generated (signed-in users must log in again), or set "
            "NOVEL_ENGINE_SECRET_KEY."
        )
    return secret
