"""`novel-engine serve` and `novel-engine migrate`."""

from __future__ import annotations

import argparse
import asyncio
import sys

import uvicorn

from novel_engine.persistence.engine import create_engine
from novel_engine.persistence.migrate import upgrade
from novel_engine.web.settings import ConfigurationError, Settings


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="novel-engine", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server (migrates the database first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    commands.add_parser("migrate", help="bring the database schema up to date")
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except ConfigurationError as exc:
        print(f"novel-engine: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_migrate(settings))
    except Exception as exc:  # the CLI's edge: say what failed, without a traceback
        print(f"novel-engine: cannot migrate the database: {exc}", file=sys.stderr)
        return 1
    if args.command == "migrate":
        print("novel-engine: the database schema is up to date.")
        return 0
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    uvicorn.run(
        "novel_engine.web.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        lifespan="on",
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
