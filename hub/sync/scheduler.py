"""The scheduler: decides *when* each scheduled sync is due, and only enqueues it.

Every ``hub serve`` process runs one, but only the leader enqueues:

- on PostgreSQL the leader holds a session-level advisory lock on a connection kept
  for that purpose. Every ``tick`` (every 15 s) the leader checks that connection is
  alive and the others try to take the lock, so when the leader's process dies (its
  session ends, the lock goes with it) another takes over within one tick;
- on SQLite there is one process by design, so its scheduler always leads.

Enqueueing is deduplicated by the job's key, so even two leaders for a moment (a
network partition) could not queue the same sync twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import tzinfo
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from hub.sync.engine import SyncRequest
from hub.sync.jobs import Enqueued, enqueue_sync
from hub.sync.schedules import ScheduledSync, scheduled_syncs, trigger_for
from hub.workspace.loader import Workspace

log = logging.getLogger(__name__)

SCHEDULER_LOCK = 0x6875625F73636864  # "hub_schd"
TICK_SECONDS = 15.0


class Leadership:
    """Whether this process is the one that enqueues scheduled syncs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self._always = engine.dialect.name != "postgresql"

    @property
    def is_leader(self) -> bool:
        return self._always or self._conn is not None

    def try_acquire(self) -> bool:
        """Keep the lock if we hold it and our session is alive; otherwise try to take it."""
        if self._always:
            return True
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True
            except SQLAlchemyError:
                log.warning("scheduler lost its database session; trying to lead again")
                self._drop()
        try:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError:
            log.warning("scheduler cannot reach the database; will retry", exc_info=True)
            return False
        try:
            acquired = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK}).scalar())
        except SQLAlchemyError:
            conn.invalidate()
            return False
        if not acquired:
            conn.close()
            return False
        log.info("this process now runs the scheduler")
        self._conn = conn
        return True

    def release(self) -> None:
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEDULER_LOCK})
            conn.close()
        except SQLAlchemyError:
            conn.invalidate()  # closing the session releases the lock anyway

    def _drop(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.invalidate()


class SyncScheduler:
    """Enqueues the sync of every connector entity with a ``schedule``, when it is due.

    ``tick()`` renews leadership and picks up hub.yaml changes; ``enqueue()`` is what
    a schedule firing does. Both are called by APScheduler once :meth:`start`-ed, and
    directly by tests.
    """

    def __init__(
        self,
        engine: Engine,
        workspace: Workspace | Callable[[], Workspace],
        *,
        tick_seconds: float = TICK_SECONDS,
        on_enqueued: Callable[[Enqueued], None] | None = None,
    ) -> None:
        self.engine = engine
        self._load = workspace if callable(workspace) else (lambda: workspace)
        self.tick_seconds = tick_seconds
        self.on_enqueued = on_enqueued
        self.leadership = Leadership(engine)
        self.schedules: list[ScheduledSync] = []
        self.timezone: tzinfo | None = None
        self._aps: AsyncIOScheduler | None = None
        self._applied: dict[str, tuple[str, tzinfo | None]] = {}  # job id -> (schedule, zone) in APScheduler

    @property
    def is_leader(self) -> bool:
        return self.leadership.is_leader

    def tick(self) -> bool:
        """Renew (or try to take) leadership and reload the schedules; returns whether we lead."""
        self._reload()
        return self.leadership.try_acquire()

    def enqueue(self, connector: str, entity: str) -> Enqueued | None:
        """A schedule fired: queue an incremental sync, unless we do not lead or one is already queued or running."""
        if not self.leadership.is_leader:
            return None
        with self.engine.begin() as conn:
            enqueued = enqueue_sync(conn, SyncRequest(connector, entity))
        if enqueued is None:
            log.info("scheduled sync %s/%s skipped: one is already queued or running", connector, entity)
            return None
        log.info("scheduled sync %s/%s queued as job %s", connector, entity, enqueued.job_id)
        if self.on_enqueued is not None:
            self.on_enqueued(enqueued)
        return enqueued

    async def start(self) -> None:
        """Lead if we can and schedule every entity (needs a running event loop)."""
        await asyncio.to_thread(self.tick)
        self._aps = AsyncIOScheduler(**({"timezone": self.timezone} if self.timezone else {}))
        self._aps.add_job(self._tick_job, "interval", seconds=self.tick_seconds, id="hub:scheduler-tick",
                          coalesce=True, max_instances=1)
        self._aps.start()
        self._apply_schedules()

    async def stop(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        await asyncio.to_thread(self.leadership.release)

    async def _tick_job(self) -> None:
        try:
            await asyncio.to_thread(self.tick)
        except Exception:  # a broken hub.yaml keeps the last good schedules; the API and CLI report the error
            log.warning("scheduler could not reload hub.yaml; keeping the previous schedules", exc_info=True)
        self._apply_schedules()

    async def _fire_job(self, connector: str, entity: str) -> None:
        try:
            await asyncio.to_thread(self.enqueue, connector, entity)
        except Exception:
            log.exception("scheduled sync %s/%s could not be queued", connector, entity)

    def _reload(self) -> None:
        workspace = self._load()
        self.schedules = scheduled_syncs(workspace)
        zone = workspace.config.sync.timezone
        self.timezone = ZoneInfo(zone) if zone else None

    def _apply_schedules(self) -> None:
        aps = self._aps
        if aps is None:
            return
        wanted = {s.job_id: s for s in self.schedules}
        for job_id in [j for j in self._applied if j not in wanted]:
            aps.remove_job(job_id)
            del self._applied[job_id]
        zone = self.timezone or aps.timezone
        for job_id, scheduled in wanted.items():
            if self._applied.get(job_id) == (scheduled.schedule, zone):
                continue  # unchanged: re-adding would restart an interval's countdown
            aps.add_job(self._fire_job, trigger_for(scheduled.schedule, zone),
                        args=(scheduled.connector, scheduled.entity), id=job_id, replace_existing=True,
                        coalesce=True, max_instances=1, misfire_grace_time=None)
            self._applied[job_id] = (scheduled.schedule, zone)
