"""``hub worker``: run queued jobs (syncs) until stopped."""

from __future__ import annotations

import asyncio
import logging.config
import signal
from typing import Annotated

import typer
from sqlalchemy import Engine

from hub.background import job_handlers
from hub.cli.runtime import database, display_url, info, load_settings, require_current_schema
from hub.jobs.worker import Worker
from hub.logs import logging_config
from hub.settings import Settings
from hub.workspace import load_workspace


def worker_command(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="How many jobs to run at once.")] = 4,
) -> None:
    """Run queued jobs (syncs) until stopped with Ctrl-C or SIGTERM.

    A stop lets the running jobs finish first. Start as many workers as you like on
    PostgreSQL: each job is claimed by exactly one, and a dead worker's jobs are
    claimed again when its lease runs out. `hub serve` runs a worker too, unless
    started with --no-worker. Workers do not schedule: the scheduler runs in `hub serve`.

    \b
    Examples:
      hub worker
      hub worker --concurrency 8
    """
    settings = load_settings()
    workspace = load_workspace(settings.workspace)  # a broken hub.yaml stops us here, not in every job
    with database(settings) as engine:
        require_current_schema(engine)
        logging.config.dictConfig(logging_config(settings.log_level))
        info(f"workspace {workspace.root}")
        info(f"database  {display_url(settings.effective_database_url)}")
        info(f"worker    running up to {concurrency} job(s) at once; Ctrl-C stops")
        asyncio.run(run_worker(engine, settings, concurrency))
    info("worker stopped")


async def run_worker(engine: Engine, settings: Settings, concurrency: int) -> None:
    from webhooks.outbound.dispatcher import Dispatcher

    worker = Worker(engine, job_handlers(engine, settings), concurrency=concurrency)
    dispatcher = Dispatcher.from_settings(engine, settings)  # outbound deliveries, claimed with a lease too

    def stop() -> None:
        worker.stop()
        dispatcher.stop()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    try:
        await asyncio.gather(worker.run(), dispatcher.run())
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
