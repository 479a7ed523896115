"""The trigger: reads the events in sequence order and starts one run per matching flow and event.

The cursor and the runs it starts commit together, so an event starts each flow once even
when the process dies (and ``flow_runs`` is unique on flow + event besides). On PostgreSQL
one process at a time holds the cursor row; the others skip the tick. A new workspace's
cursor starts at the newest event: flows act on what happens from then on, not on history.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from hub.db.engine import read_only
from hub.db.types import utcnow
from hub.errors import HubError
from hub.events.outbox import EVENTS
from hub.flows.expressions import as_cel
from hub.flows.registry import FlowCache, FlowRegistry
from hub.flows.runs import RUNS, queue_step, start_run
from hub.flows.tables import FlowCursorRow

log = logging.getLogger(__name__)

CURSOR = FlowCursorRow.__table__  # type: ignore[attr-defined]
CURSOR_NAME = "events"
BATCH = 500
IDLE_CATCH_UP = 5.0  # seconds between cursor catch-ups while no flow is defined


def trigger_tick(conn: Connection, registry: FlowRegistry, *, now: datetime | None = None) -> int:
    """Start the runs of the next batch of events; how many events were read (0: none new, or busy)."""
    now = now or utcnow()
    query = select(CURSOR.c.seq).where(CURSOR.c.name == CURSOR_NAME)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    cursor = conn.execute(query).scalar()
    if cursor is None:
        if conn.dialect.name == "postgresql" and _cursor_exists(conn):
            return 0  # another process holds it
        newest = conn.execute(select(func.max(EVENTS.c.seq))).scalar() or 0
        conn.execute(insert(CURSOR).values(name=CURSOR_NAME, seq=newest, updated_at=now))
        return 0
    window = conn.execute(select(EVENTS.c.seq, EVENTS.c.type, EVENTS.c.record_id).where(EVENTS.c.seq > cursor)
                          .order_by(EVENTS.c.seq).limit(BATCH)).all()
    if not window:
        return 0
    wanted = [seq for seq, event_type, _ in window if registry.triggered_by(event_type)]
    if wanted:
        rows = conn.execute(select(EVENTS).where(EVENTS.c.seq.in_(wanted)).order_by(EVENTS.c.seq)).mappings()
        for row in rows:
            _start_runs(conn, registry, dict(row), now)
    _wake_waiting(conn, registry, {record_id for _, _, record_id in window})
    conn.execute(update(CURSOR).where(CURSOR.c.name == CURSOR_NAME).values(seq=window[-1][0], updated_at=now))
    return len(window)


def _cursor_exists(conn: Connection) -> bool:
    return conn.execute(select(func.count()).select_from(CURSOR).where(CURSOR.c.name == CURSOR_NAME)).scalar() == 1


def event_document(row: dict[str, Any]) -> dict[str, Any]:
    """What a run keeps of its event (and what ``event`` means in its expressions)."""
    payload = row["payload"] or {}
    return {"id": row["id"], "seq": row["seq"], "type": row["type"], "entity": row["entity"],
            "record_id": row["record_id"], "version": row["record_version"], "data": payload.get("data"),
            "changes": payload.get("changes"), "timestamp": payload.get("timestamp")}


def _start_runs(conn: Connection, registry: FlowRegistry, row: dict[str, Any], now: datetime) -> None:
    event = event_document(row)
    activation = {"event": as_cel(event), "record": as_cel(event["data"] or {}), "now": now}
    for flow in registry.triggered_by(row["type"]):
        error = None
        try:
            if flow.trigger.when is not None and not flow.trigger.when.test({**activation, "vars": flow.vars}):
                continue
        except HubError as exc:  # keep the evidence: a run that failed at its trigger
            error = {"step": None, "code": exc.code, "message": exc.message}
        if _already_started(conn, flow.name, event["id"]):
            continue
        start_run(conn, flow=flow.name, flow_hash=flow.hash, first_step=flow.steps[0].id, event=event,
                  entity=row["entity"], record_id=row["record_id"], now=now, error=error)


def _already_started(conn: Connection, flow: str, event_id: str) -> bool:
    query = select(RUNS.c.id).where(RUNS.c.flow == flow, RUNS.c.event_id == event_id)
    return conn.execute(query).first() is not None


def _wake_waiting(conn: Connection, registry: FlowRegistry, record_ids: set[str]) -> None:
    """Runs waiting until a condition on one of these records holds look again now (not at their next poll)."""
    waiting = conn.execute(select(RUNS.c.id, RUNS.c.flow, RUNS.c.step).where(
        RUNS.c.status == "waiting", RUNS.c.record_id.in_(sorted(record_ids)))).all()
    for run_id, flow_name, step_id in waiting:
        flow = registry.flows.get(flow_name)
        if flow is not None and any(s.id == step_id and "until" in s.options for s in flow.steps):
            queue_step(conn, run_id, step_id)


class FlowTrigger:
    """Runs :func:`trigger_tick` in a loop: at once while there is a backlog, else every ``poll`` seconds."""

    def __init__(self, engine: Engine, flows: FlowCache, *, poll: float = 0.2,
                 on_started: Callable[[], None] | None = None) -> None:
        self.engine = engine
        self.flows = flows
        self.poll = poll
        self.on_started = on_started
        self._stopping = asyncio.Event()
        self._kept_up = 0.0

    def tick(self) -> int:
        registry = self.flows.get()
        if not registry.flows:
            self._keep_up()
            return 0
        with self.engine.begin() as conn:
            return trigger_tick(conn, registry)

    def _keep_up(self) -> None:
        """Without flows the cursor follows the newest event (every few seconds), so a flow added
        later acts on what happens from then on, not on what happened while there were none."""
        now = time.monotonic()
        if now - self._kept_up < IDLE_CATCH_UP:
            return
        self._kept_up = now
        with read_only(self.engine) as conn:
            cursor = conn.execute(select(CURSOR.c.seq).where(CURSOR.c.name == CURSOR_NAME)).scalar()
            newest = conn.execute(select(func.max(EVENTS.c.seq))).scalar() or 0
        if cursor is not None and newest > cursor:
            with self.engine.begin() as conn:
                conn.execute(update(CURSOR).where(CURSOR.c.name == CURSOR_NAME, CURSOR.c.seq < newest)
                             .values(seq=newest, updated_at=utcnow()))

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                read = await asyncio.to_thread(self.tick)
            except Exception:  # the database away: try again at the next poll
                log.exception("flow trigger failed; trying again")
                read = 0
            if read and self.on_started is not None:
                self.on_started()
            if read < BATCH:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.poll)

    def stop(self) -> None:
        self._stopping.set()
