"""Flow runs and step states in the database: start, advance, fail, resume, read. Caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from hub.db.paging import newest_first
from hub.db.types import iso_utc
from hub.errors import ConflictError, NotFoundError
from hub.flows.tables import FlowRunRow, FlowStepRow
from hub.ids import new_id
from hub.jobs.queue import enqueue

RUNS = FlowRunRow.__table__  # type: ignore[attr-defined]
STEPS = FlowStepRow.__table__  # type: ignore[attr-defined]
FLOW_STEP_JOB = "flow.step"
ACTIVE = ("running", "waiting")
JOB_ATTEMPTS = 3  # a worker dying mid-step: the job is claimed again; step failures retry on the step's own schedule


def idempotency_key(run_id: str, step_id: str, index: int | None = None) -> str:
    """The key a step passes to the connector: the same on every retry and resume of this run's step."""
    return f"{run_id}:{step_id}" if index is None else f"{run_id}:{step_id}:{index}"


def start_run(conn: Connection, *, flow: str, flow_hash: str, first_step: str, event: dict[str, Any] | None,
              entity: str | None, record_id: str | None, now: datetime, error: dict[str, Any] | None = None) -> str:
    """Insert a run and queue its first step (or record it failed at the trigger, with ``error``)."""
    run_id = new_id("run")
    conn.execute(insert(RUNS).values(
        id=run_id, flow=flow, flow_hash=flow_hash, event_id=event["id"] if event else None,
        event_type=event["type"] if event else None, entity=entity, record_id=record_id,
        status="failed" if error else "running", step=first_step, context={"event": event, "steps": {}},
        error=error, created_at=now, updated_at=now, finished_at=now if error else None,
    ))
    if error is None:
        queue_step(conn, run_id, first_step)
    return run_id


def queue_step(conn: Connection, run_id: str, step_id: str, *, at: datetime | None = None,
               check: str | None = None) -> None:
    """Queue the job that runs the step (``check``: the scheduled look of a wait, not a wake-up)."""
    payload: dict[str, Any] = {"run": run_id, "step": step_id}
    if check is not None:
        payload["check"] = check
    enqueue(conn, FLOW_STEP_JOB, payload, run_after=at, max_attempts=JOB_ATTEMPTS)


def load_run(conn: Connection, run_id: str) -> dict[str, Any]:
    row = conn.execute(select(RUNS).where(RUNS.c.id == run_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no flow run {run_id}")
    return dict(row)


def load_step(conn: Connection, run_id: str, step_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(STEPS).where(STEPS.c.run_id == run_id, STEPS.c.step == step_id)).mappings().first()
    return dict(row) if row else None


def save_step(conn: Connection, run_id: str, step_id: str, *, kind: str, status: str, now: datetime,
              output: dict[str, Any] | None = None, error: str | None = None, attempt: bool = False,
              finished: bool = False) -> int:
    """Insert or update a step's state; returns its attempts so far."""
    existing = load_step(conn, run_id, step_id)
    values: dict[str, Any] = {"status": status, "output": output, "error": error,
                              "finished_at": now if finished else None}
    if existing is None:
        attempts = 1 if attempt else 0
        conn.execute(insert(STEPS).values(id=new_id("fst"), run_id=run_id, step=step_id, kind=kind,
                                          attempts=attempts, idempotency_key=idempotency_key(run_id, step_id),
                                          started_at=now, **values))
        return attempts
    attempts = int(existing["attempts"]) + (1 if attempt else 0)
    conn.execute(update(STEPS).where(STEPS.c.id == existing["id"]).values(attempts=attempts, **values))
    return attempts


def advance(conn: Connection, run: dict[str, Any], step_id: str, output: dict[str, Any], next_step: str | None, *,
            now: datetime, status: str | None = None) -> bool:
    """Record ``step_id``'s output and move the run on; False when the run is no longer at that step."""
    context = dict(run["context"])
    context["steps"] = {**context.get("steps", {}), step_id: output}
    done = next_step is None
    moved = conn.execute(
        update(RUNS).where(RUNS.c.id == run["id"], RUNS.c.step == step_id, RUNS.c.status.in_(ACTIVE))
        .values(context=context, step=step_id if done else next_step, updated_at=now,
                status=status or ("succeeded" if done else "running"), finished_at=now if done else None)
    ).rowcount
    if moved:
        run["context"], run["step"] = context, (step_id if done else next_step)
    return bool(moved)


def fail_run(conn: Connection, run_id: str, step_id: str, error: dict[str, Any], *, now: datetime) -> None:
    conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(
        status="failed", step=step_id, error=error, updated_at=now, finished_at=now))


def set_waiting(conn: Connection, run_id: str, *, now: datetime) -> None:
    conn.execute(update(RUNS).where(RUNS.c.id == run_id, RUNS.c.status.in_(ACTIVE)).values(
        status="waiting", updated_at=now))


def resume_run(conn: Connection, run_id: str, *, from_step: str | None = None, steps: list[str] | None = None,
               now: datetime) -> dict[str, Any]:
    """Run a failed (or cancelled) run again from its failed step or ``from_step``; keys stay the same."""
    run = load_run(conn, run_id)
    if run["status"] not in ("failed", "cancelled"):
        raise ConflictError(f"flow run {run_id} is {run['status']}; only a failed or cancelled run can be resumed",
                            details={"status": run["status"]})
    step = from_step or run["step"]
    if steps is not None and step not in steps:
        raise NotFoundError(f"flow {run['flow']} has no step {step!r}", details={"steps": steps})
    conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(
        status="running", step=step, error=None, updated_at=now, finished_at=None))
    conn.execute(update(STEPS).where(STEPS.c.run_id == run_id, STEPS.c.step == step).values(
        status="pending", attempts=0, error=None, finished_at=None))
    queue_step(conn, run_id, step)
    return load_run(conn, run_id)


def cancel_run(conn: Connection, run_id: str, *, now: datetime) -> dict[str, Any]:
    run = load_run(conn, run_id)
    if run["status"] not in ACTIVE:
        raise ConflictError(f"flow run {run_id} is {run['status']}; only a running or waiting run can be cancelled")
    conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(status="cancelled", updated_at=now,
                                                                finished_at=now))
    return load_run(conn, run_id)


def list_runs(conn: Connection, *, flow: str | None = None, status: str | None = None, record_id: str | None = None,
              cursor: str | None = None, limit: int = 50) -> tuple[list[dict[str, Any]], str | None]:
    return newest_first(conn, RUNS, filters={"flow": flow, "status": status, "record_id": record_id},
                        before=cursor, limit=limit, document=run_json)


def run_steps(conn: Connection, run_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(STEPS).where(STEPS.c.run_id == run_id).order_by(STEPS.c.started_at, STEPS.c.id))
    return [step_json(dict(r)) for r in rows.mappings()]


def run_json(row: Any) -> dict[str, Any]:
    r = dict(row)
    return {"id": r["id"], "flow": r["flow"], "flow_hash": r["flow_hash"], "status": r["status"], "step": r["step"],
            "event": {"id": r["event_id"], "type": r["event_type"]} if r["event_id"] else None,
            "entity": r["entity"], "record_id": r["record_id"], "error": r["error"],
            "outputs": (r["context"] or {}).get("steps", {}),
            "created_at": iso_utc(r["created_at"]), "updated_at": iso_utc(r["updated_at"]),
            "finished_at": iso_utc(r["finished_at"]) if r["finished_at"] else None}


def step_json(r: dict[str, Any]) -> dict[str, Any]:
    return {"step": r["step"], "kind": r["kind"], "status": r["status"], "attempts": r["attempts"],
            "idempotency_key": r["idempotency_key"], "output": r["output"], "error": r["error"],
            "started_at": iso_utc(r["started_at"]),
            "finished_at": iso_utc(r["finished_at"]) if r["finished_at"] else None}


def purge_runs(conn: Connection, *, before: datetime) -> int:
    """Retention: delete runs that finished (succeeded or cancelled) before ``before``, with their steps.

    Failed runs stay until someone resumes or cancels them; running and waiting ones are live.
    """
    finished = select(RUNS.c.id).where(RUNS.c.status.in_(("succeeded", "cancelled")), RUNS.c.finished_at < before)
    conn.execute(delete(STEPS).where(STEPS.c.run_id.in_(finished)))
    return int(conn.execute(delete(RUNS).where(RUNS.c.id.in_(finished.scalar_subquery()))).rowcount or 0)
