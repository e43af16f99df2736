"""`novel-engine serve`, `novel-engine migrate`, `novel-engine replay` and
`novel-engine rebuild`.

Exit codes: 0 done; 1 the database could not be migrated (unreachable, refused);
2 a configuration that cannot work (an option or environment variable, named in one
line on stderr). Once serving, uvicorn's own codes apply. `replay` exits 0 when every
turn replays identically, 1 when one diverges, 2 when there is nothing to replay (a bad
id, an unknown session, a database it cannot read). `rebuild` exits 0 when every
projection of the campaign was rebuilt, 2 when there is no such campaign or database.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import NoReturn, TextIO
from urllib.parse import urlsplit

import uvicorn
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine import __version__
from novel_engine.models import factory as models
from novel_engine.narrative.beliefs import BeliefProjection
from novel_engine.narrative.offline import OfflineModel
from novel_engine.narrative.replay import replay
from novel_engine.persistence.engine import create_engine
from novel_engine.persistence.event_store import SqlEventReader
from novel_engine.persistence.migrate import Migration, upgrade
from novel_engine.persistence.model_calls import SqlCallRecorder
from novel_engine.persistence.session_log import SqlSessionLog
from novel_engine.persistence.tables import campaigns
from novel_engine.persistence.uow import SqlUnitOfWork
from novel_engine.web import frames
from novel_engine.web.bootstrap import memory_projection
from novel_engine.web.settings import ConfigurationError, Settings

ENVIRONMENT = """\
configuration (environment variables):
  NOVEL_ENGINE_DATABASE_URL  sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db
                             (default: sqlite+aiosqlite:///novel-engine.db, here)
  NOVEL_ENGINE_SECRET_KEY    32+ random characters that sign tokens; required with
                             PostgreSQL (default with SQLite: generated into <db>.secret)
  NOVEL_ENGINE_REDIS_URL     redis://host:6379/0, to run several processes together
                             (default: unset, an in-process hub)
  NOVEL_ENGINE_LLM_PROVIDER  offline, gemini or openai (default: offline)

exit codes: 0 done, 1 the database could not be migrated, 2 a configuration that cannot work
"""

REPLAY_EXIT = """\
exit codes: 0 every turn identical, 1 a turn diverges, 2 no session to replay (a bad id,
an unknown session, a database that cannot be read) or a configuration that cannot work
"""


MODEL_NOTES = {"offline": " (deterministic, no network)"}


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, like every configuration error, and where to read more."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def package_version() -> str:
    try:
        return version("novel-engine")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return __version__


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"must be a number from 1 to 65535, not {text!r}")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def parser() -> Parser:
    root = Parser(
        prog="novel-engine",
        description="A GraphQL server for AI-driven interactive storytelling.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    root.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = root.add_subparsers(
        title="commands", dest="command", required=True, metavar="command"
    )
    serve = commands.add_parser(
        "serve",
        help="migrate the database, then serve the API and GraphiQL",
        description="Bring the database schema up to date, then serve GraphQL over HTTP\n"
        "and WebSocket, with GraphiQL at /graphql.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; 0.0.0.0 for every interface (default: %(default)s)",
    )
    serve.add_argument(
        "--port", type=_port, default=8000, help="TCP port, 1-65535 (default: %(default)s)"
    )
    serve.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="server processes; more than one should share NOVEL_ENGINE_REDIS_URL so live "
        "events reach every process at once (default: %(default)s)",
    )
    commands.add_parser(
        "migrate",
        help="bring the database schema up to date, then exit",
        description="Bring the database schema up to date and say what was done.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    replay_command = commands.add_parser(
        "replay",
        help="replay a session's turns from its event log and compare them with what is stored",
        description="Run a session's story-engine steps again from its event log, answering\n"
        "each model call with its recorded answer (or the offline model's, for offline calls\n"
        "and calls with no record), and print, per turn, `identical` or a diff of where it\n"
        "first diverges from the stored events and narrative. Reads only; writes nothing.",
        epilog=f"{ENVIRONMENT.split('exit codes')[0]}{REPLAY_EXIT}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    replay_command.add_argument("--session", required=True, metavar="ID", help="the session's id")
    rebuild = commands.add_parser(
        "rebuild",
        help="rebuild a campaign's projections (memories, ...) from its event log",
        description="Forget what each projection of a campaign derived from its events\n"
        f"({', '.join(name for name, _ in PROJECTIONS)}) and derive it again from the first\n"
        "event, with the configured model (the offline one by default). Safe while the\n"
        "server runs: the projection's checkpoint keeps the two from writing twice.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rebuild.add_argument("--campaign", required=True, metavar="ID", help="the campaign's id")
    return root


class _Units:
    """Plain units of work, for a projection run outside any job."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def unit_of_work(self, *, finishes: bool = True) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine)

    def reading(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine, read_only=True)


async def _rebuild_memories(settings: Settings, engine: AsyncEngine, campaign: uuid.UUID) -> str:
    model = models.build(settings, OfflineModel(), recorder=SqlCallRecorder(engine))
    projection = memory_projection(settings, model, engine)
    written = await projection.rebuild(_Units(engine), campaign, f"rebuild:{uuid.uuid4()}")
    return f"{written} memories"


async def _rebuild_beliefs(settings: Settings, engine: AsyncEngine, campaign: uuid.UUID) -> str:
    async with SqlUnitOfWork(engine) as uow:
        reached = await BeliefProjection(SqlEventReader(engine)).rebuild(uow, campaign)
        await uow.commit()
    return f"up to event {reached.position}"


# Each projection of a campaign's stream `rebuild` knows: its name, and how to rebuild it
# (answering with what it wrote). A projection adds itself here.
Rebuild = Callable[[Settings, AsyncEngine, uuid.UUID], Awaitable[str]]
PROJECTIONS: list[tuple[str, Rebuild]] = [
    ("beliefs", _rebuild_beliefs),
    ("memories", _rebuild_memories),
]


def rebuild_command(settings: Settings, campaign: str, out: TextIO) -> int:
    """`novel-engine rebuild --campaign ID`."""
    try:
        campaign_id = uuid.UUID(campaign)
    except ValueError:
        print(f"novel-engine: {campaign!r} is not a campaign id", file=sys.stderr)
        return 2
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        print(f"novel-engine: no database at {url.database}", file=sys.stderr)
        return 2
    return asyncio.run(rebuild_campaign(settings, campaign_id, out))


async def rebuild_campaign(settings: Settings, campaign_id: uuid.UUID, out: TextIO) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            found = await conn.execute(select(campaigns.c.id).where(campaigns.c.id == campaign_id))
            if found.first() is None:
                where = database_name(settings)
                print(f"novel-engine: no campaign {campaign_id} in {where}", file=sys.stderr)
                return 2
        for name, rebuild in PROJECTIONS:
            print(f"{name}: rebuilt, {await rebuild(settings, engine, campaign_id)}", file=out)
    except (SQLAlchemyError, OSError) as exc:
        reason = str(exc).splitlines()[0]
        print(f"novel-engine: cannot rebuild: {reason}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    return 0


def replay_command(settings: Settings, session: str, out: TextIO) -> int:
    """`novel-engine replay --session ID`: the id and the database checked, then replayed."""
    try:
        session_id = uuid.UUID(session)
    except ValueError:
        print(f"novel-engine: {session!r} is not a session id", file=sys.stderr)
        return 2
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        # Connecting would create an empty database: replay writes nothing.
        print(f"novel-engine: no database at {url.database}", file=sys.stderr)
        return 2
    return asyncio.run(replay_session(settings, session_id, out))


async def replay_session(settings: Settings, session_id: uuid.UUID, out: TextIO) -> int:
    """Replay one session; print each turn's report to `out`, why it cannot to stderr."""
    engine = create_engine(settings.database_url)
    try:
        played = await SqlSessionLog(engine).played(session_id)
        if played is None:
            where = database_name(settings)
            print(f"novel-engine: no session {session_id} in {where}", file=sys.stderr)
            return 2
        turns = await replay(played, reactions_per_turn=settings.reactions_per_turn)
    except (SQLAlchemyError, OSError) as exc:  # the CLI's edge: say what failed, no traceback
        reason = str(exc).splitlines()[0]
        print(f"novel-engine: cannot read the session: {reason}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    for turn in turns:
        print(turn.report(), file=out)
    if not turns:
        print("no turns played yet", file=out)
    return 0 if all(t.divergence is None for t in turns) else 1


async def _migrate(settings: Settings) -> Migration:
    engine = create_engine(settings.database_url)
    try:
        return await upgrade(engine)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env(signing=args.command not in ("replay", "rebuild"))
    except ConfigurationError as exc:
        print(f"novel-engine: {exc}", file=sys.stderr)
        return 2
    if args.command == "replay":
        return replay_command(settings, args.session, sys.stdout)
    if args.command == "rebuild":
        return rebuild_command(settings, args.campaign, sys.stdout)
    if args.command == "serve" and args.workers > 1 and settings.redis_url is None:
        print(f"novel-engine: warning: {_lone_workers(args.workers)}", file=sys.stderr)
    try:
        migration = asyncio.run(_migrate(settings))
    except Exception as exc:  # the CLI's edge: say what failed, without a traceback
        print(f"novel-engine: cannot migrate the database: {exc}", file=sys.stderr)
        return 1
    if args.command == "migrate":
        print(f"novel-engine: database {database_name(settings)}: {migration}.")
        return 0
    print(banner(settings, migration, args.host, args.port), flush=True)
    uvicorn.run(
        "novel_engine.web.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        lifespan="on",
        proxy_headers=False,
        **frames.uvicorn_options(settings.ws_compression, settings.access_log),
    )
    return 0


def _lone_workers(workers: int) -> str:
    return (
        f"--workers {workers} without NOVEL_ENGINE_REDIS_URL: each worker has its own "
        "in-process hub, so a live event written through one worker reaches subscribers "
        "of another only when their feed re-reads the database (within 10 s), and presence "
        "is per worker. Set NOVEL_ENGINE_REDIS_URL for instant delivery."
    )


def banner(settings: Settings, migration: Migration, host: str, port: int) -> str:
    """What a newcomer needs to know the server is theirs: where, on what, with what."""
    return "\n".join(
        [
            f"novel-engine {package_version()}",
            f"  GraphiQL  {graphiql_url(host, port)}",
            f"  database  {database_name(settings)}: {migration}",
            f"  live hub  {hub_name(settings)}",
            f"  model     {settings.llm_provider}{MODEL_NOTES.get(settings.llm_provider, '')}",
        ]
    )


def graphiql_url(host: str, port: int) -> str:
    # A browser cannot open the wildcard addresses; the server answers on loopback too.
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/graphql"


def database_name(settings: Settings) -> str:
    """The database, without credentials."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return f"SQLite {Path(url.database).resolve() if url.database else ':memory:'}"
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    return f"PostgreSQL {where}/{url.database or ''}"


def hub_name(settings: Settings) -> str:
    """The live-event hub, without credentials."""
    if settings.redis_url is None:
        return "in-process"
    parts = urlsplit(settings.redis_url)
    if parts.scheme == "unix":
        return f"Redis unix://{parts.path}"
    host = parts.hostname or "localhost"
    if ":" in host:
        host = f"[{host}]"
    return f"Redis {parts.scheme}://{host}:{parts.port or 6379}{parts.path}"


if __name__ == "__main__":
    sys.exit(main())
