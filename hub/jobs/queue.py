"""Enqueue, claim (with a lease), complete, fail and retry jobs. Every function runs in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from hub.db.types import iso_utc, utcnow
from hub.errors import ConflictError, NotFoundError
from hub.ids import new_id
from hub.jobs.tables import ACTIVE, JobRow
from hub.jobs.wakeup import announce

JOBS = JobRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    dedupe_key: str | None
    lease_owner: str | None


def enqueue(
    conn: Connection,
    kind: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    run_after: datetime | None = None,
    priority: int = 0,
    max_attempts: int = 3,
) -> str | None:
    """Queue a job; with ``dedupe_key``, None when such a job is already queued or running."""
    now = utcnow()
    job_id = new_id("job")
    values = {
        "id": job_id, "kind": kind, "dedupe_key": dedupe_key, "payload": payload, "status": "queued",
        "priority": priority, "run_after": run_after or now, "attempts": 0, "max_attempts": max_attempts,
        "created_at": now,
    }
    if dedupe_key is not None:
        active = select(JOBS.c.id).where(JOBS.c.dedupe_key == dedupe_key, JOBS.c.status.in_(ACTIVE))
        if conn.execute(active).first() is not None:
            return None
        try:
            with conn.begin_nested():  # a concurrent enqueue of the same key loses quietly
                conn.execute(insert(JOBS).values(values))
        except IntegrityError:
            return None
    else:
        conn.execute(insert(JOBS).values(values))
    if run_after is None or run_after <= now:
        announce(conn)  # idle workers in every process wake when this commits
    return job_id


def claim(
    conn: Connection, worker: str, kinds: tuple[str, ...], *, limit: int = 1, lease: timedelta = timedelta(minutes=2)
) -> list[Job]:
    """Take up to ``limit`` due jobs (or jobs whose worker's lease ran out) and lease them to ``worker``."""
    now = utcnow()
    due = or_(
        and_(JOBS.c.status == "queued", JOBS.c.run_after <= now),
        and_(JOBS.c.status == "running", JOBS.c.lease_until < now),
    )
    candidates = (
        select(JOBS.c.id)
        .where(JOBS.c.kind.in_(kinds), due)
        .order_by(JOBS.c.priority.desc(), JOBS.c.run_after)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises
    )
    ids = list(conn.execute(candidates).scalars())
    if not ids:
        return []
    conn.execute(
        update(JOBS)
        .where(JOBS.c.id.in_(ids))
        .values(status="running", lease_owner=worker, lease_until=now + lease, attempts=JOBS.c.attempts + 1,
                started_at=now)
    )
    rows = conn.execute(select(JOBS).where(JOBS.c.id.in_(ids))).mappings()
    return [
        Job(r["id"], r["kind"], r["payload"], r["attempts"], r["max_attempts"], r["dedupe_key"], r["lease_owner"])
        for r in rows
    ]


def claim_job(conn: Connection, job_id: str, worker: str, *, lease: timedelta = timedelta(minutes=2)) -> Job | None:
    """Take one particular job now (queued, even if not yet due, or running under an expired lease).

    For work a command runs in the foreground (``hub sync``) while holding the job's
    dedupe key, so the scheduler and the API cannot start the same work meanwhile.
    None when someone else holds it.
    """
    now = utcnow()
    claimable = or_(JOBS.c.status == "queued", and_(JOBS.c.status == "running", JOBS.c.lease_until < now))
    found = conn.execute(
        select(JOBS.c.id).where(JOBS.c.id == job_id, claimable).with_for_update(skip_locked=True)
    ).first()
    if found is None:
        return None
    conn.execute(
        update(JOBS)
        .where(JOBS.c.id == job_id)
        .values(status="running", lease_owner=worker, lease_until=now + lease, attempts=JOBS.c.attempts + 1,
                started_at=now)
    )
    r = conn.execute(select(JOBS).where(JOBS.c.id == job_id)).mappings().one()
    return Job(r["id"], r["kind"], r["payload"], r["attempts"], r["max_attempts"], r["dedupe_key"], r["lease_owner"])


def active_job(conn: Connection, dedupe_key: str) -> dict[str, Any] | None:
    """The queued or running job holding ``dedupe_key``, if any."""
    row = conn.execute(
        select(JOBS).where(JOBS.c.dedupe_key == dedupe_key, JOBS.c.status.in_(ACTIVE)).limit(1)
    ).mappings().first()
    return job_document(dict(row)) if row is not None else None


def extend_lease(conn: Connection, job_id: str, worker: str, lease: timedelta) -> bool:
    """Keep a long job; False when the job is no longer ours (cancelled, or our lease ran out and it was taken)."""
    result = conn.execute(
        update(JOBS)
        .where(JOBS.c.id == job_id, JOBS.c.lease_owner == worker, JOBS.c.status == "running")
        .values(lease_until=utcnow() + lease)
    )
    return result.rowcount == 1


def complete(conn: Connection, job_id: str, worker: str, result: dict[str, Any] | None = None) -> bool:
    outcome = conn.execute(
        update(JOBS)
        .where(JOBS.c.id == job_id, JOBS.c.lease_owner == worker, JOBS.c.status == "running")
        .values(status="succeeded", result=result, finished_at=utcnow(), lease_until=None, last_error=None)
    )
    return outcome.rowcount == 1


def fail(
    conn: Connection, job_id: str, worker: str, error: str, *, retry_in: timedelta | None = None,
    result: dict[str, Any] | None = None,
) -> str:
    """Record a failure: queued again after ``retry_in`` while attempts remain, else failed. Returns the status."""
    row = conn.execute(select(JOBS.c.attempts, JOBS.c.max_attempts).where(JOBS.c.id == job_id)).first()
    if row is None:
        raise NotFoundError(f"no job {job_id!r}")
    retry = retry_in is not None and row.attempts < row.max_attempts
    now = utcnow()
    values: dict[str, Any] = {"last_error": error[:4000], "lease_until": None, "result": result}
    if retry:
        assert retry_in is not None
        values.update(status="queued", run_after=now + retry_in, lease_owner=None)
    else:
        values.update(status="failed", finished_at=now)
    conn.execute(
        update(JOBS).where(JOBS.c.id == job_id, JOBS.c.lease_owner == worker, JOBS.c.status == "running").values(values)
    )
    return "queued" if retry else "failed"


def cancel(conn: Connection, job_id: str) -> None:
    outcome = conn.execute(
        update(JOBS).where(JOBS.c.id == job_id, JOBS.c.status == "queued").values(status="cancelled",
                                                                                  finished_at=utcnow())
    )
    if outcome.rowcount != 1:
        raise ConflictError(f"job {job_id} is not queued (only queued jobs can be cancelled)")


def get_job(conn: Connection, job_id: str) -> dict[str, Any]:
    row = conn.execute(select(JOBS).where(JOBS.c.id == job_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no job {job_id!r}")
    return job_document(dict(row))


def list_jobs(
    conn: Connection, *, kind: str | None = None, status: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    query = select(JOBS).order_by(JOBS.c.created_at.desc(), JOBS.c.id.desc()).limit(min(max(limit, 1), 500))
    if kind:
        query = query.where(JOBS.c.kind == kind)
    if status:
        query = query.where(JOBS.c.status == status)
    return [job_document(dict(r)) for r in conn.execute(query).mappings()]


def job_document(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("run_after", "lease_until", "created_at", "started_at", "finished_at"):
        row[key] = iso_utc(row[key]) if row.get(key) else None
    return row
