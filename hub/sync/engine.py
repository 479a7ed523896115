"""``run_sync``: pull one connector's entity into the store, a page per transaction.

::

    connector.read(stream, saved state) ──► Page(records, state)
        │  one transaction per page:
        │    map ─► attach (streams with attach_to_object) ─► upsert (+ events)
        │    ─► quarantine what failed ─► stamp seen_at (full runs) ─► save the page's state ─► run counts
        ▼  commit
    full runs, after the last page: tombstone the refs not seen (unless the deletion guard holds them back)

A crash loses at most the page in flight: its records, quarantine entries and state
were one transaction, so the next run starts from the last committed state and
reads that page again. Reading again is harmless: the store's upsert is idempotent
(an unchanged record makes no version and no event), which is also what drops the
records repeated at the cursor boundary (connectors read with ``>=``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine

from hub.db.engine import read_only
from hub.db.types import utcnow
from hub.errors import HubError
from hub.logs import mask_personal_data
from hub.mapping.registry import MappingRegistry, load_registry
from hub.sdk.contract import Connector, Page
from hub.security.secrets import SecretBox
from hub.store.rules import StoreRules
from hub.sync.deletions import CHUNK, DeletionCheck, check_deletions, mark_seen, tombstone
from hub.sync.landing import land
from hub.sync.plan import StreamPlan, build_connector, plan_stream
from hub.sync.quarantine import Source, has_pending, quarantine, settle_landed
from hub.sync.runs import (
    RunCounts,
    add_deleted,
    add_page,
    create_run,
    finish_run,
    interrupt_stale_runs,
    start_run,
)
from hub.sync.state import load_state, save_state
from hub.workspace.loader import Workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncRequest:
    connector: str
    entity: str
    full: bool = False
    confirm_deletions: bool = False  # a full run may delete more than the guard allows


@dataclass
class Progress:
    """Reported after each committed page, and once when the run ends."""

    run_id: str
    connector: str
    entity: str
    stream: str
    full: bool
    pages: int = 0
    counts: RunCounts = field(default_factory=RunCounts)
    phase: str = "reading"  # reading | deleting | done
    status: str = "running"


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class SyncOutcome:
    run_id: str
    connector: str
    entity: str
    status: str  # succeeded | needs_confirmation (failures raise)
    pages: int
    counts: RunCounts
    duration_seconds: float
    details: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "connector": self.connector, "entity": self.entity, "status": self.status,
                "pages": self.pages, "counts": self.counts.as_dict(), "duration_seconds": self.duration_seconds,
                "details": self.details}


async def run_sync(
    engine: Engine,
    workspace: Workspace,
    request: SyncRequest,
    *,
    registry: MappingRegistry | None = None,
    secrets: SecretBox | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    run_id: str | None = None,
    job_id: str | None = None,
    progress: ProgressCallback | None = None,
) -> SyncOutcome:
    """Run one sync now and return what it did; raise (with the run recorded as failed) when it fails.

    ``run_id`` takes over a run created when the job was queued; otherwise a run is created.
    The caller makes sure only one sync of a connector's entity runs at a time (jobs'
    dedupe key ``sync:<connector>:<entity>``).
    """
    run_id = await asyncio.to_thread(_begin_run, engine, request, run_id, job_id)
    connector: Connector | None = None
    try:
        plan = await asyncio.to_thread(_plan, workspace, registry, request)  # reads and compiles mapping files
        connector = build_connector(workspace, request.connector, engine=engine, secrets=secrets,
                                    transport=transport)
        sync = _Run(engine, plan, request, run_id, workspace.store_rules, workspace.config.sync.delete_guard,
                    progress)
        return await sync.run(connector)
    except BaseException as exc:
        await asyncio.to_thread(_fail_run, engine, run_id, error_text(exc))
        raise
    finally:
        if connector is not None:
            await connector.aclose()


def error_text(exc: BaseException) -> str:
    """How a failure is recorded on the run and the job (personal data masked, like every log line)."""
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled: the process running it stopped"
    text = f"{exc.code}: {exc.message}" if isinstance(exc, HubError) else f"{type(exc).__name__}: {exc}"
    return mask_personal_data(text)


def _plan(workspace: Workspace, registry: MappingRegistry | None, request: SyncRequest) -> StreamPlan:
    mappings = registry if registry is not None else load_registry(workspace.root, partial=True)
    return plan_stream(workspace, mappings, request.connector, request.entity)


def _begin_run(engine: Engine, request: SyncRequest, run_id: str | None, job_id: str | None) -> str:
    with engine.begin() as conn:
        if run_id is None:
            run_id = create_run(conn, request.connector, request.entity, full=request.full,
                                confirm_deletions=request.confirm_deletions, status="running", job_id=job_id)
        else:
            start_run(conn, run_id, now=utcnow(), full=request.full, confirm_deletions=request.confirm_deletions)
        interrupt_stale_runs(conn, request.connector, request.entity, keep=run_id)
    return run_id


def _fail_run(engine: Engine, run_id: str, message: str) -> None:
    with engine.begin() as conn:
        finish_run(conn, run_id, "failed", error=message)


class _Run:
    def __init__(
        self, engine: Engine, plan: StreamPlan, request: SyncRequest, run_id: str, rules: StoreRules, guard: float,
        progress: ProgressCallback | None,
    ) -> None:
        self.engine = engine
        self.plan = plan
        self.request = request
        self.run_id = run_id
        self.rules = rules
        self.guard = guard
        self.on_progress = progress
        self.progress = Progress(run_id, plan.connector, plan.entity, plan.stream, request.full)
        self.source = Source(plan.connector, plan.stream, plan.entity, plan.system, plan.mapping.name)
        self.unidentified = 0
        self.pending_quarantine = False

    async def run(self, connector: Connector) -> SyncOutcome:
        clock = time.monotonic()
        started, state = await asyncio.to_thread(self._start)
        pages = connector.read(self.plan.stream, state, full=self.request.full)
        try:
            async for page in pages:
                await asyncio.to_thread(self._commit_page, page)
                self._report()
        finally:
            aclose = getattr(pages, "aclose", None)  # close the generator now, not at garbage collection
            if aclose is not None:
                await aclose()
        status, details = "succeeded", None
        if self.request.full and self.plan.spec.detects_deletes:
            status, details = await asyncio.to_thread(self._detect_deletions, started)
        await asyncio.to_thread(self._finish, status, details)
        self.progress.phase, self.progress.status = "done", status
        self._report()
        return SyncOutcome(self.run_id, self.plan.connector, self.plan.entity, status, self.progress.pages,
                           self.progress.counts, round(time.monotonic() - clock, 3), details)

    def _start(self) -> tuple[datetime, Any]:
        with self.engine.begin() as conn:
            start_run(conn, self.run_id, stream=self.plan.stream, mapping=self.plan.mapping.name)
            self.pending_quarantine = has_pending(conn, self.plan.connector, self.plan.stream)
            state = load_state(conn, self.plan.connector, self.plan.stream)
        # Refs a full run sees get seen_at >= this; the ones left older were not in the source.
        return utcnow(), state

    def _commit_page(self, page: Page) -> None:
        now = utcnow()
        with self.engine.begin() as conn:
            landing = land(conn, self.plan, page.records, self.rules, now=now)
            if self.pending_quarantine and landing.landed:  # records that failed before and now landed
                settle_landed(conn, self.plan.connector, self.plan.stream, landing.landed, by=f"sync {self.run_id}",
                              now=now)
            if landing.quarantined:
                quarantine(conn, self.source, landing.quarantined, run_id=self.run_id, now=now)
                self.pending_quarantine = True
            if self.request.full:
                mark_seen(conn, self.plan, landing.seen, now=now)
            save_state(conn, self.plan.connector, self.plan.stream, page.state, run_id=self.run_id)
            add_page(conn, self.run_id, landing.counts)
        # Only after the commit: counts never run ahead of what is stored.
        self.unidentified += landing.unidentified
        self.progress.pages += 1
        self.progress.counts.add(landing.counts)

    def _detect_deletions(self, started: datetime) -> tuple[str, dict[str, Any] | None]:
        if self.unidentified:
            note = f"deletion detection skipped: {self.unidentified} record(s) had no id, so what is missing is unknown"
            return "succeeded", {"deletions": {"skipped": note}}
        with read_only(self.engine) as conn:
            check = check_deletions(conn, self.plan, since=started, guard=self.guard)
        if not check.missing:
            return "succeeded", None
        if check.over_guard and not self.request.confirm_deletions:
            return "needs_confirmation", {"deletions": check.as_json(), "message": _guard_message(self.plan, check)}
        self.progress.phase = "deleting"
        for start in range(0, len(check.missing), CHUNK):
            chunk = check.missing[start : start + CHUNK]
            with self.engine.begin() as conn:
                deleted = tombstone(conn, self.plan, chunk, self.rules, now=utcnow())
                add_deleted(conn, self.run_id, deleted)
            self.progress.counts.deleted += deleted
            self._report()
        return "succeeded", {"deletions": check.as_json()}

    def _finish(self, status: str, details: dict[str, Any] | None) -> None:
        with self.engine.begin() as conn:
            finish_run(conn, self.run_id, status, details=details)
        counts = self.progress.counts
        log.info("sync %s %s/%s (%s): %s, %d pages, %s", self.run_id, self.plan.connector, self.plan.entity,
                 "full" if self.request.full else "incremental", status, self.progress.pages, counts.as_dict())

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress)


def _guard_message(plan: StreamPlan, check: DeletionCheck) -> str:
    return (
        f"{len(check.missing)} of {check.live} {plan.system} {plan.object} records ({check.share:.0%}) were not in "
        f"the full read, more than the deletion guard allows ({check.guard:.0%}); nothing was deleted. If they "
        f"really were deleted, run the full sync again with confirmation (hub sync {plan.connector} --entity "
        f"{plan.entity} --full --confirm-deletions)"
    )
