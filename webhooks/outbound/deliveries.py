"""Reading deliveries, replaying them (same webhook-id), and retention. Caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from hub.db.types import iso_utc
from hub.errors import ConflictError, InvalidRequestError, NotFoundError
from hub.events.outbox import EVENTS
from hub.jobs.wakeup import announce
from webhooks.outbound.fanout import encode_body
from webhooks.outbound.subscriptions import find_subscription
from webhooks.outbound.tables import ATTEMPTS, DELIVERIES, DELIVERY_STATUSES, SUBSCRIPTIONS

REPLAYABLE = ("succeeded", "dead", "cancelled")
_TIMES = ("next_attempt_at", "created_at", "updated_at", "delivered_at", "replayed_at")


def list_deliveries(
    conn: Connection,
    *,
    status: str | None = None,
    subscription: str | None = None,
    before: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Newest first; ``before`` (a delivery id) pages back."""
    query = (
        select(DELIVERIES, SUBSCRIPTIONS.c.name.label("subscription"))
        .join(SUBSCRIPTIONS, SUBSCRIPTIONS.c.id == DELIVERIES.c.subscription_id)
        .order_by(DELIVERIES.c.id.desc())
        .limit(min(max(limit, 1), 500))
    )
    if status:
        query = query.where(DELIVERIES.c.status == _status(status))
    if subscription:
        query = query.where(DELIVERIES.c.subscription_id == find_subscription(conn, subscription)["id"])
    if before:
        query = query.where(DELIVERIES.c.id < before)
    return [delivery_document(dict(row)) for row in conn.execute(query).mappings()]


def get_delivery(conn: Connection, delivery_id: str) -> dict[str, Any]:
    """One delivery with its body and every attempt, oldest first."""
    row = conn.execute(
        select(DELIVERIES, SUBSCRIPTIONS.c.name.label("subscription"))
        .join(SUBSCRIPTIONS, SUBSCRIPTIONS.c.id == DELIVERIES.c.subscription_id)
        .where(DELIVERIES.c.id == delivery_id)
    ).mappings().first()
    if row is None:
        raise NotFoundError(f"no delivery {delivery_id!r}")
    document = delivery_document(dict(row))
    document["body"] = row["body"]
    attempts = conn.execute(
        select(ATTEMPTS).where(ATTEMPTS.c.delivery_id == delivery_id).order_by(ATTEMPTS.c.id)
    ).mappings()
    document["attempt_log"] = [
        {**{k: a[k] for k in ("attempt", "latency_ms", "status_code", "response_body", "error", "worker")},
         "started_at": iso_utc(a["started_at"])}
        for a in attempts
    ]
    return document


def delivery_document(row: dict[str, Any]) -> dict[str, Any]:
    doc = {key: row[key] for key in ("id", "subscription_id", "event_seq", "event_type", "record_id", "status",
                                     "attempts", "last_status_code", "last_error")}
    doc["subscription"] = row.get("subscription")
    doc["webhook_id"] = row["event_id"]
    for key in _TIMES:
        doc[key] = iso_utc(row[key]) if row.get(key) else None
    if row["status"] != "pending":
        doc["next_attempt_at"] = None
    return doc


def replay(conn: Connection, delivery_ids: Sequence[str], *, now: datetime) -> list[str]:
    """Send these deliveries again, as new: same webhook-id and body, a fresh retry schedule.

    Refused (nothing changes) when one is unknown, still pending, or its subscription is disabled.
    """
    ids = list(dict.fromkeys(delivery_ids))
    rows = {r["id"]: dict(r) for r in conn.execute(
        select(DELIVERIES.c.id, DELIVERIES.c.status, DELIVERIES.c.body, DELIVERIES.c.event_id,
               SUBSCRIPTIONS.c.name, SUBSCRIPTIONS.c.enabled)
        .join(SUBSCRIPTIONS, SUBSCRIPTIONS.c.id == DELIVERIES.c.subscription_id)
        .where(DELIVERIES.c.id.in_(ids))
    ).mappings()}
    for delivery_id in ids:
        row = rows.get(delivery_id)
        if row is None:
            raise NotFoundError(f"no delivery {delivery_id!r}")
        if row["status"] not in REPLAYABLE:
            raise ConflictError(f"delivery {delivery_id} is {row['status']}: it will be sent without a replay")
        if not row["enabled"]:
            raise ConflictError(
                f"delivery {delivery_id}: subscription {row['name']!r} is disabled; enable it first "
                f"(`hub subscriptions enable {row['name']}`)"
            )
    missing_body = [r for r in rows.values() if r["body"] is None]
    if missing_body:
        _restore_bodies(conn, missing_body)
    if ids:
        conn.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_(ids))
            .values(status="pending", attempts=0, next_attempt_at=now, lease_owner=None, lease_until=None,
                    replayed_at=now, updated_at=now, last_error=None)
        )
        announce(conn)
    return ids


def replay_all(conn: Connection, *, status: str = "dead", subscription: str | None = None, now: datetime,
               ) -> list[str]:
    """Replay every delivery in ``status`` (of enabled subscriptions; of one when ``subscription`` is named)."""
    if status not in REPLAYABLE:
        raise InvalidRequestError(f"only {', '.join(REPLAYABLE)} deliveries can be replayed, not {status!r}")
    query = (
        select(DELIVERIES.c.id)
        .join(SUBSCRIPTIONS, SUBSCRIPTIONS.c.id == DELIVERIES.c.subscription_id)
        .where(DELIVERIES.c.status == status, SUBSCRIPTIONS.c.enabled.is_(True))
        .order_by(DELIVERIES.c.event_seq)
    )
    if subscription:
        query = query.where(DELIVERIES.c.subscription_id == find_subscription(conn, subscription)["id"])
    return replay(conn, list(conn.execute(query).scalars()), now=now)


def _restore_bodies(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Retention cleared these bodies: rebuild them from the events (the same serialisation)."""
    event_ids = {r["event_id"] for r in rows}
    query = select(EVENTS.c.id, EVENTS.c.payload).where(EVENTS.c.id.in_(event_ids))
    payloads: dict[str, dict[str, Any]] = {row.id: row.payload for row in conn.execute(query)}
    for row in rows:
        payload = payloads.get(row["event_id"])
        if payload is None:
            raise ConflictError(f"delivery {row['id']}: its event {row['event_id']} no longer exists; cannot replay")
        conn.execute(update(DELIVERIES).where(DELIVERIES.c.id == row["id"]).values(body=encode_body(payload)))


@dataclass(frozen=True)
class Purged:
    attempts: int
    bodies: int


def purge(conn: Connection, *, before: datetime) -> Purged:
    """Retention: delete attempts started before ``before``; clear the body of deliveries that succeeded before it.

    Deliveries themselves stay (their status, webhook-id and last outcome are small);
    a cleared body is rebuilt from its event if the delivery is ever replayed.
    """
    attempts = conn.execute(delete(ATTEMPTS).where(ATTEMPTS.c.started_at < before)).rowcount
    bodies = conn.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.status == "succeeded", DELIVERIES.c.delivered_at < before, DELIVERIES.c.body.is_not(None))
        .values(body=None)
    ).rowcount
    return Purged(attempts=attempts, bodies=bodies)


def _status(value: str) -> str:
    if value not in DELIVERY_STATUSES:
        raise InvalidRequestError(f"unknown delivery status {value!r}; one of {', '.join(DELIVERY_STATUSES)}")
    return value
