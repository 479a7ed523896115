"""Writing events in the caller's transaction, and reading them back in sequence order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, or_, select, text

from hub.db.types import iso_utc
from hub.events.tables import Event
from hub.ids import new_id

EVENTS = Event.__table__  # type: ignore[attr-defined]

# PostgreSQL assigns sequence numbers at insert but transactions commit in any
# order, so a reader polling "after N" could skip a late-committing N-1. Writers
# hold this lock from their first insert to commit, making commit order = seq order.
_EVENT_ORDER_LOCK = 0x6875625F65767473  # "hub_evts"


@dataclass(frozen=True)
class NewEvent:
    type: str
    entity: str
    record_id: str
    record_version: int
    data: dict[str, Any]
    changes: dict[str, Any] | None = None


def append_events(conn: Connection, events: Sequence[NewEvent], *, now: datetime) -> list[str]:
    """Insert events in order within the open transaction; return their ids.

    Every event an enabled subscription wants gets its delivery row here too, in the
    same transaction (see :mod:`webhooks.outbound.fanout`).
    """
    if not events:
        return []
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _EVENT_ORDER_LOCK})
    timestamp = iso_utc(now)
    rows = []
    for ev in events:
        payload: dict[str, Any] = {"type": ev.type, "timestamp": timestamp, "data": ev.data}
        if ev.changes is not None:
            payload["changes"] = ev.changes
        rows.append(
            {
                "id": new_id("evt"),
                "type": ev.type,
                "entity": ev.entity,
                "record_id": ev.record_id,
                "record_version": ev.record_version,
                "payload": payload,
                "occurred_at": now,
            }
        )
    from webhooks.outbound.fanout import plan_fan_out  # here: webhooks.outbound itself writes events

    fan_out = plan_fan_out(conn, rows)  # outbound webhooks: deliveries in this same transaction
    if fan_out is None:
        conn.execute(insert(EVENTS), rows)
    else:
        inserted = conn.execute(insert(EVENTS).returning(EVENTS.c.seq, sort_by_parameter_order=True), rows)
        fan_out.write(conn, list(inserted.scalars()), now=now)
    return [str(r["id"]) for r in rows]


def list_events(
    conn: Connection,
    *,
    after: int = 0,
    types: Sequence[str] = (),
    record_id: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Events with ``seq > after`` in sequence order; ``types`` may use ``*`` wildcards."""
    query = select(EVENTS).where(EVENTS.c.seq > after).order_by(EVENTS.c.seq).limit(limit)
    if types:
        clauses = []
        for pattern in types:
            if "*" in pattern:
                clauses.append(EVENTS.c.type.like(pattern.replace("%", r"\%").replace("*", "%"), escape="\\"))
            else:
                clauses.append(EVENTS.c.type == pattern)
        query = query.where(or_(*clauses))
    if record_id:
        query = query.where(EVENTS.c.record_id == record_id)
    return [event_document(dict(row._mapping)) for row in conn.execute(query)]


def event_document(row: dict[str, Any]) -> dict[str, Any]:
    doc = {"seq": row["seq"], "id": row["id"]}
    doc.update(row["payload"])
    return doc
