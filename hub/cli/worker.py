"""``hub worker``: run queued jobs (syncs) until stopped."""

from __future__ import annotations

import asyncio
import logging
import logging.config
import os
import signal
from typing import Annotated

import typer
from sqlalchemy import Engine

from hub.background import Background
from hub.cli.runtime import database, display_url, info, load_settings, require_current_schema
from hub.logs import logging_config
from hub.settings import Settings
from hub.workspace import load_workspace

log = logging.getLogger(__name__)


def worker_command(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="How many jobs to run at once.")] = 4,
    scheduler: Annotated[
        bool, typer.Option("--scheduler", help="Also queue each connector entity's sync on its hub.yaml schedule.")
    ] = False,
    parent_pid: Annotated[int | None, typer.Option(hidden=True, help="Stop when this process is gone.")] = None,
) -> None:
    """Run queued jobs (syncs, inbound webhooks) and outbound deliveries until stopped with Ctrl-C or SIGTERM.

    A stop lets the running jobs finish first. Start as many workers as you like: each
    job and delivery is claimed by exactly one, and a dead worker's claims are taken
    again when their lease runs out. Idle workers wake at once when work is queued
    (LISTEN/NOTIFY on PostgreSQL, a local socket on SQLite). `hub serve` starts a worker
    process of its own, unless started with --no-worker. With --scheduler the worker
    also queues scheduled syncs (on PostgreSQL one scheduler leads at a time).

    \b
    Examples:
      hub worker
      hub worker --concurrency 8
      hub worker --scheduler        # when `hub serve --no-worker` runs the API alone
    """
    settings = load_settings()
    workspace = load_workspace(settings.workspace)  # a broken hub.yaml stops us here, not in every job
    with database(settings) as engine:
        require_current_schema(engine)
        logging.config.dictConfig(logging_config(settings.log_level))
        info(f"workspace {workspace.root}")
        info(f"database  {display_url(settings.effective_database_url)}")
        info(f"worker    running up to {concurrency} job(s) at once; Ctrl-C stops")
        asyncio.run(run_worker(engine, settings, concurrency, scheduler=scheduler, parent_pid=parent_pid))
    info("worker stopped")


async def run_worker(engine: Engine, settings: Settings, concurrency: int, *, scheduler: bool = False,
                     parent_pid: int | None = None) -> None:
    background = Background(engine, settings, concurrency=concurrency, scheduler=scheduler)

    async def watch_parent() -> None:  # `hub serve` died (even by SIGKILL): stop, finishing running jobs
        while os.getppid() == parent_pid:
            await asyncio.sleep(1.0)
        log.warning("parent process %s is gone; worker stopping", parent_pid)
        background.stop_soon()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, background.stop_soon)
    watcher = asyncio.create_task(watch_parent()) if parent_pid is not None else None
    try:
        await background.run()
    finally:
        if watcher is not None:
            watcher.cancel()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
