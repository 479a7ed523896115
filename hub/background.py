"""The work a hub process does besides answering HTTP: the worker, and the scheduler that feeds it.

``hub serve`` runs both next to the API (in the app's lifespan); ``hub worker`` runs a
worker alone. Handlers for every job kind are registered here, in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx
from sqlalchemy import Engine

from connectors.mail.watch import MailWatchers
from hub.flows.engine import flow_handler
from hub.flows.registry import FlowCache
from hub.flows.runs import FLOW_STEP_JOB
from hub.flows.trigger import FlowTrigger
from hub.jobs.wakeup import WakeListener
from hub.jobs.worker import Handler, Worker
from hub.settings import Settings
from hub.sync.fetch import FETCH_JOB, fetch_handler
from hub.sync.jobs import SYNC_JOB, sync_handler
from hub.sync.scheduler import SyncScheduler
from hub.workspace.loader import load_workspace
from webhooks.inbound import INBOUND_JOB, inbound_handler
from webhooks.outbound.dispatcher import Dispatcher

log = logging.getLogger(__name__)


def job_handlers(
    engine: Engine, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> dict[str, Handler]:
    """The handler of every job kind a worker runs."""
    return {
        SYNC_JOB: sync_handler(engine, settings, transport=transport),
        INBOUND_JOB: inbound_handler(engine, settings),
        FETCH_JOB: fetch_handler(engine, settings, transport=transport),
        FLOW_STEP_JOB: flow_handler(engine, settings, transport=transport),
    }


class Background:
    """A worker (and optionally the scheduler) running as tasks in the current event loop."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        concurrency: int = 4,
        scheduler: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.worker = Worker(engine, job_handlers(engine, settings, transport=transport), concurrency=concurrency)
        self.scheduler = SyncScheduler(
            engine, lambda: load_workspace(settings.workspace), on_enqueued=lambda _: self.worker.wake()
        ) if scheduler else None
        self.dispatcher = Dispatcher.from_settings(engine, settings)  # outbound webhook deliveries
        # Work queued by other processes (or `hub serve`'s API in its own process) wakes us at once.
        self.listener = WakeListener(engine, [self.worker.wake, self.dispatcher.wake])
        # New mail announced by IMAP IDLE queues the mailbox's sync (where the scheduler runs: once).
        self.mail = MailWatchers(engine, lambda: load_workspace(settings.workspace),
                                 on_enqueued=lambda _: self.worker.wake()) if scheduler else None
        # Every process reads new events for flow triggers; on PostgreSQL one at a time holds the cursor.
        self.flows = FlowTrigger(engine, FlowCache(settings.workspace), on_started=self.worker.wake)
        self._task: asyncio.Task[None] | None = None
        self._dispatch_task: asyncio.Task[None] | None = None
        self._trigger_task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Work was just queued in this process: look for it now rather than at the next poll."""
        self.worker.wake()
        self.dispatcher.wake()

    async def start(self) -> None:
        await self.listener.start()
        self._task = asyncio.create_task(self.worker.run(), name="hub worker")
        self._dispatch_task = asyncio.create_task(self.dispatcher.run(), name="hub webhook dispatcher")
        self._trigger_task = asyncio.create_task(self.flows.run(), name="hub flow trigger")
        if self.scheduler is not None:
            await self.scheduler.start()
        if self.mail is not None:
            await self.mail.start()

    async def run(self) -> None:
        """Until the worker and the dispatcher stop (:meth:`stop_soon`), then clean up."""
        await self.start()
        try:
            await asyncio.gather(*(t for t in (self._task, self._dispatch_task) if t is not None))
        finally:
            await self.stop()

    def stop_soon(self) -> None:
        """Ask the worker and the dispatcher to finish what they run and stop (signal handlers)."""
        self.worker.stop()
        self.dispatcher.stop()
        self.flows.stop()

    async def stop(self) -> None:
        """Stop scheduling, then let running jobs finish (a job cut short is claimed again after its lease)."""
        if self.mail is not None:
            await self.mail.stop()
        if self.scheduler is not None:
            await self.scheduler.stop()
        self.worker.stop()
        self.dispatcher.stop()
        self.flows.stop()
        for task in (self._task, self._dispatch_task, self._trigger_task):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._dispatch_task = self._trigger_task = None
        await self.listener.stop()
