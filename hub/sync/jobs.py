"""Syncs as jobs: enqueued by the scheduler and the API, run by workers, or run in the foreground by ``hub sync``.

A sync job's dedupe key is ``sync:<connector>:<entity>``, so a sync already queued or
running is not queued again, and at most one sync of a connector's entity runs at a
time, wherever it runs: ``hub sync`` holds the same key while it works.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import Connection, Engine

from hub.db.engine import read_only
from hub.errors import ConflictError
from hub.jobs.queue import Job, active_job, claim_job, complete, enqueue, extend_lease, fail
from hub.jobs.worker import Handler
from hub.mapping.registry import MappingRegistry
from hub.security.secrets import SecretBox
from hub.settings import Settings
from hub.sync.engine import ProgressCallback, SyncOutcome, SyncRequest, error_text, run_sync
from hub.sync.plan import secret_box
from hub.sync.runs import create_run, queued_run_of_job
from hub.workspace.loader import Workspace, load_workspace

SYNC_JOB = "sync"
LEASE = timedelta(minutes=2)


def dedupe_key(connector: str, entity: str) -> str:
    return f"sync:{connector}:{entity}"


@dataclass(frozen=True)
class Enqueued:
    connector: str
    entity: str
    job_id: str
    run_id: str

    def as_json(self) -> dict[str, str]:
        return {"connector": self.connector, "entity": self.entity, "job_id": self.job_id, "run_id": self.run_id}


def enqueue_sync(conn: Connection, request: SyncRequest) -> Enqueued | None:
    """Queue a sync (and its run, as ``queued``); None when one is already queued or running."""
    payload = {"connector": request.connector, "entity": request.entity, "full": request.full,
               "confirm_deletions": request.confirm_deletions}
    job_id = enqueue(conn, SYNC_JOB, payload, dedupe_key=dedupe_key(request.connector, request.entity),
                     max_attempts=5)
    if job_id is None:
        return None
    run_id = create_run(conn, request.connector, request.entity, full=request.full,
                        confirm_deletions=request.confirm_deletions, status="queued", job_id=job_id)
    return Enqueued(request.connector, request.entity, job_id, run_id)


def active_sync(conn: Connection, connector: str, entity: str) -> dict[str, Any] | None:
    """The job of the sync of this connector's entity that is queued or running, if any."""
    return active_job(conn, dedupe_key(connector, entity))


def request_of(job: Job) -> SyncRequest:
    payload = job.payload
    return SyncRequest(str(payload["connector"]), str(payload["entity"]), bool(payload.get("full")),
                       bool(payload.get("confirm_deletions")))


def sync_handler(
    engine: Engine, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> Handler:
    """The worker's handler for ``sync`` jobs: hub.yaml and the mappings are read when each job starts."""
    secrets = _secrets(settings)

    async def handle(job: Job) -> dict[str, Any]:
        workspace = await asyncio.to_thread(load_workspace, settings.workspace)
        run_id = await asyncio.to_thread(_queued_run, engine, job.id)
        outcome = await run_sync(engine, workspace, request_of(job), secrets=secrets, transport=transport,
                                 run_id=run_id, job_id=job.id)
        return outcome.as_json()

    return handle


async def run_in_foreground(
    engine: Engine,
    workspace: Workspace,
    request: SyncRequest,
    *,
    settings: Settings,
    registry: MappingRegistry | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: ProgressCallback | None = None,
) -> SyncOutcome:
    """Run a sync in this process now, holding its job so nothing else starts the same sync meanwhile.

    A sync of the same entity that is queued (or whose worker died) is taken over;
    one that is running raises ConflictError.
    """
    worker = f"cli:{socket.gethostname()}:{os.getpid()}"
    job, run_id = await asyncio.to_thread(_take_slot, engine, request, worker)
    async with _lease_kept(engine, job.id, worker):
        try:
            outcome = await run_sync(engine, workspace, request, registry=registry, secrets=_secrets(settings),
                                     transport=transport, run_id=run_id, job_id=job.id, progress=progress)
        except BaseException as exc:
            await asyncio.to_thread(_settle, engine, job.id, worker, None, error_text(exc))
            raise
    await asyncio.to_thread(_settle, engine, job.id, worker, outcome.as_json(), None)
    return outcome


def _take_slot(engine: Engine, request: SyncRequest, worker: str) -> tuple[Job, str | None]:
    with engine.begin() as conn:
        active = active_sync(conn, request.connector, request.entity)
        if active is None:
            enqueued = enqueue_sync(conn, request)
            job_id, run_id = (enqueued.job_id, enqueued.run_id) if enqueued else (None, None)
        else:
            job_id, run_id = active["id"], queued_run_of_job(conn, active["id"])
        job = claim_job(conn, job_id, worker, lease=LEASE) if job_id else None
        if job is None:
            held = active_sync(conn, request.connector, request.entity) or {}
            raise ConflictError(
                f"a sync of {request.connector}/{request.entity} is already running "
                f"(job {held.get('id')}, {held.get('lease_owner')}); wait for it to finish "
                "(hub sync-runs list shows it)",
                details={"job_id": held.get("id"), "worker": held.get("lease_owner")},
            )
    return job, run_id


@contextlib.asynccontextmanager
async def _lease_kept(engine: Engine, job_id: str, worker: str) -> AsyncIterator[None]:
    async def keep() -> None:
        while True:
            await asyncio.sleep(LEASE.total_seconds() / 3)
            await asyncio.to_thread(_extend, engine, job_id, worker)

    keeper = asyncio.create_task(keep())
    try:
        yield
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper


def _extend(engine: Engine, job_id: str, worker: str) -> None:
    with engine.begin() as conn:
        extend_lease(conn, job_id, worker, LEASE)


def _settle(engine: Engine, job_id: str, worker: str, result: dict[str, Any] | None, error: str | None) -> None:
    with engine.begin() as conn:
        if error is None:
            complete(conn, job_id, worker, result)
        else:
            fail(conn, job_id, worker, error)  # in the foreground the person retries, not the queue


def _queued_run(engine: Engine, job_id: str) -> str | None:
    with read_only(engine) as conn:
        return queued_run_of_job(conn, job_id)


def _secrets(settings: Settings) -> SecretBox | None:
    return secret_box(settings.secret_key.get_secret_value() if settings.secret_key else None)
