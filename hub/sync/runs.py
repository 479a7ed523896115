"""The run history: one row per attempt at syncing a connector's entity, with counts, duration and error."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from hub.db.paging import newest_first
from hub.db.types import iso_utc, utcnow
from hub.errors import NotFoundError
from hub.ids import new_id
from hub.sync.tables import SyncRunRow

RUNS = SyncRunRow.__table__  # type: ignore[attr-defined]


@dataclass
class RunCounts:
    """What a run did to the records it read (one source record is counted once)."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    deleted: int = 0

    def add(self, other: RunCounts) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def create_run(
    conn: Connection,
    connector: str,
    entity: str,
    *,
    full: bool,
    confirm_deletions: bool = False,
    status: str = "queued",
    job_id: str | None = None,
    now: datetime | None = None,
) -> str:
    run_id = new_id("run")
    now = now or utcnow()
    conn.execute(
        insert(RUNS).values(
            id=run_id, connector=connector, entity=entity, mode="full" if full else "incremental", status=status,
            confirm_deletions=confirm_deletions, job_id=job_id, created_at=now,
            started_at=now if status == "running" else None, **RunCounts().as_dict(), pages=0,
        )
    )
    return run_id


def queued_run_of_job(conn: Connection, job_id: str) -> str | None:
    """The run created when the job was enqueued, if it has not started yet."""
    query = select(RUNS.c.id).where(RUNS.c.job_id == job_id, RUNS.c.status == "queued").limit(1)
    value = conn.execute(query).scalar()
    return str(value) if value is not None else None


def start_run(
    conn: Connection, run_id: str, *, now: datetime | None = None, stream: str | None = None,
    mapping: str | None = None, full: bool | None = None, confirm_deletions: bool | None = None,
) -> None:
    """Mark the run running (``now``: it starts now), with what it does and, once known, what it reads."""
    values: dict[str, Any] = {"status": "running"}
    if now is not None:
        values["started_at"] = now
    if full is not None:
        values["mode"] = "full" if full else "incremental"
    if confirm_deletions is not None:
        values["confirm_deletions"] = confirm_deletions
    if stream is not None:
        values.update(stream=stream, mapping=mapping)
    conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(values))


def interrupt_stale_runs(conn: Connection, connector: str, entity: str, *, keep: str) -> int:
    """Runs still marked running for this connector and entity belong to a process that died.

    Only one sync per connector and entity is active at a time (the job's dedupe key),
    so when a new one starts, any other ``running`` row is a leftover.
    """
    return conn.execute(
        update(RUNS)
        .where(RUNS.c.connector == connector, RUNS.c.entity == entity, RUNS.c.status == "running", RUNS.c.id != keep)
        .values(status="failed", error="interrupted: the process running it stopped", finished_at=utcnow())
    ).rowcount


def add_page(conn: Connection, run_id: str, counts: RunCounts) -> None:
    """Add one committed page's counts (in the page's transaction, so counts never run ahead of the data)."""
    values: dict[str, Any] = {name: RUNS.c[name] + value for name, value in counts.as_dict().items() if value}
    values["pages"] = RUNS.c.pages + 1
    conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(values))


def add_deleted(conn: Connection, run_id: str, deleted: int) -> None:
    conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(deleted=RUNS.c.deleted + deleted))


def finish_run(
    conn: Connection,
    run_id: str,
    status: str,
    *,
    error: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    started = conn.execute(select(RUNS.c.started_at).where(RUNS.c.id == run_id)).scalar()
    duration = (now - started).total_seconds() if started is not None else None
    conn.execute(
        update(RUNS)
        .where(RUNS.c.id == run_id)
        .values(status=status, error=error[:4000] if error else None, details=details, finished_at=now,
                duration_seconds=duration)
    )


def get_run(conn: Connection, run_id: str) -> dict[str, Any]:
    row = conn.execute(select(RUNS).where(RUNS.c.id == run_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no sync run {run_id!r}")
    return run_document(dict(row))


def list_runs(
    conn: Connection,
    *,
    connector: str | None = None,
    entity: str | None = None,
    status: str | None = None,
    before: str | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first; ``before`` is the last id of the previous page (ids sort by creation time)."""
    return newest_first(conn, RUNS, filters={"connector": connector, "entity": entity, "status": status},
                        before=before, limit=limit, document=run_document)


def run_document(row: dict[str, Any]) -> dict[str, Any]:
    """A run as the API and CLI show it: counts grouped, times in ISO 8601 UTC."""
    doc = {k: row[k] for k in ("id", "connector", "entity", "stream", "mapping", "mode", "status",
                                "confirm_deletions", "pages", "error", "details", "job_id")}
    doc["counts"] = {name: row[name] for name in RunCounts().as_dict()}
    for key in ("created_at", "started_at", "finished_at"):
        doc[key] = iso_utc(row[key]) if row.get(key) else None
    doc["duration_seconds"] = row["duration_seconds"]
    return doc


def last_runs(conn: Connection, connector: str, entities: list[str]) -> dict[str, dict[str, Any]]:
    """The newest run of each of the connector's entities (for listings)."""
    found: dict[str, dict[str, Any]] = {}
    for entity in entities:
        query = select(RUNS).where(RUNS.c.connector == connector, RUNS.c.entity == entity)
        row = conn.execute(query.order_by(RUNS.c.id.desc()).limit(1)).mappings().first()
        if row is not None:
            found[entity] = run_document(dict(row))
    return found
