"""A real server process with a slow durable job, to kill mid-job:
`python -m tests.e2e.job_server --port N` (configured like `novel-engine serve`).

Each `campaigns.campaign.created` asks for a `slow-mark` job. A run writes
`<job id>.<attempt>.<pid>.started` into NOVEL_ENGINE_TEST_JOB_DIR, sleeps
NOVEL_ENGINE_TEST_JOB_SECONDS, then changes the campaign's world through the job's unit
of work (the visible effect, reason "marked by job <id>").
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

import uvicorn

from novel_engine.domain.events import EventType
from novel_engine.domain.messagebus import Handlers, Job, JobContext
from novel_engine.persistence.engine import create_engine
from novel_engine.persistence.migrate import upgrade
from novel_engine.web.app import create_app
from novel_engine.web.settings import Settings
from tests.jobs_support import mark_world

KIND = "slow-mark"


async def slow_mark(job: Job, ctx: JobContext) -> None:
    signals = Path(os.environ["NOVEL_ENGINE_TEST_JOB_DIR"])
    (signals / f"{job.id}.{job.attempt}.{os.getpid()}.started").touch()
    await asyncio.sleep(float(os.environ["NOVEL_ENGINE_TEST_JOB_SECONDS"]))
    await mark_world(job, ctx)


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = Settings.from_env()
    asyncio.run(_migrate(settings))
    handlers = Handlers()
    handlers.add_durable(KIND, [EventType.CAMPAIGN_CREATED], slow_mark)
    uvicorn.run(
        create_app(settings, handlers),
        host="127.0.0.1",
        port=args.port,
        lifespan="on",
        log_level="warning",
    )


if __name__ == "__main__":
    main()
