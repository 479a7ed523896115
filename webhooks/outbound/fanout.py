"""Fan-out: the deliveries of new events, written in the same transaction as the events.

:func:`hub.events.outbox.append_events` calls :func:`plan_fan_out` with the rows it is
about to insert. One small query reads the enabled subscriptions; when none wants any
of the events, nothing else happens (the store's write path pays one query per
transaction). Otherwise the events are inserted returning their sequence numbers and
one ``deliveries`` row per (event, subscription) follows: a rolled-back event leaves
no delivery behind, and a committed one always has its deliveries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from hub.ids import new_id
from hub.jobs.wakeup import announce
from webhooks.outbound.matching import Route, routes_for
from webhooks.outbound.tables import DELIVERIES, SUBSCRIPTIONS


def enabled_routes(conn: Connection) -> list[Route]:
    query = select(SUBSCRIPTIONS.c.id, SUBSCRIPTIONS.c.events, SUBSCRIPTIONS.c.filter).where(
        SUBSCRIPTIONS.c.enabled.is_(True)
    ).order_by(SUBSCRIPTIONS.c.id)
    return [Route(row.id, tuple(row.events), row.filter) for row in conn.execute(query)]


def encode_body(payload: Mapping[str, Any]) -> str:
    """The one serialisation of an event payload: compact JSON, UTF-8 text kept as is."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class FanOut:
    """The (event index, subscription id) pairs to deliver, for a batch of event rows."""

    rows: Sequence[Mapping[str, Any]]
    targets: list[tuple[int, str]]

    def write(self, conn: Connection, seqs: Sequence[int], *, now: datetime) -> int:
        """Insert the deliveries, given the events' sequence numbers (in row order). Returns how many."""
        bodies: dict[int, str] = {}
        deliveries = []
        for index, subscription_id in self.targets:
            row = self.rows[index]
            body = bodies.get(index)
            if body is None:
                body = bodies[index] = encode_body(row["payload"])
            deliveries.append({
                "id": new_id("dlv"), "subscription_id": subscription_id, "event_id": row["id"],
                "event_seq": seqs[index], "event_type": row["type"], "record_id": row["record_id"], "body": body,
                "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now, "updated_at": now,
            })
        conn.execute(insert(DELIVERIES), deliveries)
        announce(conn)  # dispatchers in other processes wake when this commits
        return len(deliveries)


def plan_fan_out(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> FanOut | None:
    """The deliveries the event rows need, or None when no enabled subscription wants any of them."""
    routes = enabled_routes(conn)
    if not routes:
        return None
    targets = [
        (index, subscription_id)
        for index, row in enumerate(rows)
        for subscription_id in routes_for(routes, row["type"], row["payload"].get("data") or {})
    ]
    return FanOut(rows, targets) if targets else None
