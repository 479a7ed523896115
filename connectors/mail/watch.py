"""New mail → a sync job at once: an IDLE watcher per mail connector, for the hub's background.

``MailWatchers`` is started and stopped like the scheduler (``hub/background.py``)::

    watchers = MailWatchers(engine, lambda: load_workspace(settings.workspace),
                            on_enqueued=lambda _: worker.wake())
    await watchers.start()      # one IdleWatcher per connector of type mail with idle: true
    ...
    await watchers.stop()

Each signal enqueues ``sync:<connector>:<entity>`` for every entity the connector syncs
(the same job the schedule enqueues, so a sync already queued absorbs it). When a sync of
that entity is *running*, it may have searched the mailbox before the new mail arrived,
so the watcher tries again every ``retry_every`` seconds until its sync is queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import Engine

from connectors.mail.idle import IdleWatcher
from connectors.mail.settings import MailSettings
from hub.errors import HubError
from hub.sync.engine import SyncRequest
from hub.sync.jobs import Enqueued, active_sync, enqueue_sync
from hub.sync.plan import connector_settings
from hub.workspace.loader import Workspace

log = logging.getLogger(__name__)


class MailWatchers:
    def __init__(self, engine: Engine, load_workspace: Callable[[], Workspace], *,
                 on_enqueued: Callable[[Enqueued], None] | None = None, retry_every: float = 2.0) -> None:
        self.engine = engine
        self.load_workspace = load_workspace
        self.on_enqueued = on_enqueued
        self.retry_every = retry_every
        self.watchers: dict[str, IdleWatcher] = {}
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        workspace = await asyncio.to_thread(self.load_workspace)
        for name, config in workspace.config.connectors.items():
            if config.type != "mail" or not config.entities:
                continue
            try:
                settings = connector_settings(workspace, name)
            except HubError as exc:
                log.warning("mail connector %s: not watched: %s", name, exc.message)
                continue
            assert isinstance(settings, MailSettings)
            if not settings.idle or settings.imap_host is None:
                continue
            entities = list(config.entities)
            watcher = IdleWatcher(settings, self._signal(name, entities))
            self.watchers[name] = watcher
            self.tasks.append(asyncio.create_task(watcher.run(), name=f"mail idle {name}"))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()
        self.watchers.clear()

    def _signal(self, connector: str, entities: list[str]) -> Callable[[], Awaitable[None]]:
        async def new_mail() -> None:
            for entity in entities:
                while not await asyncio.to_thread(self._enqueue, connector, entity):
                    await asyncio.sleep(self.retry_every)

        return new_mail

    def _enqueue(self, connector: str, entity: str) -> bool:
        """True once a sync that starts after this moment is queued (or already was)."""
        with self.engine.begin() as conn:
            enqueued = enqueue_sync(conn, SyncRequest(connector, entity))
            if enqueued is None:
                job = active_sync(conn, connector, entity)
                return job is None or job.get("status") == "queued"
        log.info("new mail in %s: sync %s queued (job %s)", connector, entity, enqueued.job_id)
        if self.on_enqueued is not None:
            self.on_enqueued(enqueued)
        return True
