"""Claiming due deliveries with a lease, and recording what each attempt did. Caller's transaction.

The claim follows :func:`hub.jobs.queue.claim`: ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL (SQLite's ``BEGIN IMMEDIATE`` serialises claims), attempts counted when
claimed, a lease that lets another worker take over when the claimer dies. A claimed
delivery's ``next_attempt_at`` moves to the end of its lease, so an abandoned one
becomes due again through the same index as any other.

Per subscription, a claim takes at most ``concurrency`` minus what is already in
flight (other workers' live leases plus this worker's own requests): the subscription
row is locked (``FOR NO KEY UPDATE SKIP LOCKED``, which does not block the event
writers' foreign-key checks) while counting, so two workers cannot both fill the slots.
For an ``ordered`` subscription a delivery waits while an earlier event of the same
record is still pending for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, exists, insert, select, update

from hub.db.types import iso_utc
from webhooks.outbound.policy import DeliveryPolicy, Verdict, verdict
from webhooks.outbound.subscriptions import disable_endpoint
from webhooks.outbound.tables import ATTEMPTS, DELIVERIES, SUBSCRIPTIONS


@dataclass(frozen=True)
class Claim:
    """A delivery leased to this worker: what to send, and the attempt number this is."""

    id: str
    subscription_id: str
    event_id: str
    event_type: str
    body: str
    attempt: int


@dataclass(frozen=True)
class Slots:
    """How many more requests a subscription may have in flight, and whether it is ordered."""

    free: int
    ordered: bool = False


@dataclass(frozen=True)
class AttemptResult:
    """What one HTTP attempt did; ``status_code`` None means no response (timeout, refused, blocked)."""

    claim: Claim
    started_at: datetime
    latency_ms: int
    status_code: int | None
    response_body: str | None = None
    error: str | None = None
    retry_after: float | None = None
    worker: str | None = None


def in_flight(conn: Connection, subscription_ids: Iterable[str], *, now: datetime, exclude: str | None = None,
              ) -> dict[str, int]:
    """Live leases per subscription (other workers' requests in flight)."""
    ids = list(subscription_ids)
    if not ids:
        return {}
    # Only a leased delivery has lease_until set (every outcome clears it), so the lease index alone
    # finds them: the in-flight few, not every pending row of a subscription with a backlog.
    # (No GROUP BY: SQLite would rather scan another index in subscription order than range-scan this one.)
    query = select(DELIVERIES.c.subscription_id).where(DELIVERIES.c.lease_until > now)
    if exclude is not None:
        query = query.where(DELIVERIES.c.lease_owner != exclude)
    wanted = set(ids)
    return dict(Counter(sid for sid in conn.execute(query).scalars() if sid in wanted))


def claim_deliveries(
    conn: Connection,
    worker: str,
    slots: Mapping[str, Slots],
    *,
    now: datetime,
    lease: timedelta,
    limit: int | None = None,
) -> list[Claim]:
    """Lease due deliveries of the given (enabled) subscriptions, at most ``slots[id].free`` each and
    ``limit`` in all, taking the subscriptions in the order given (rotate it for fairness).
    """
    wanted = [sid for sid, slot in slots.items() if slot.free > 0]
    if not wanted:
        return []
    locked = set(conn.execute(
        select(SUBSCRIPTIONS.c.id)
        .where(SUBSCRIPTIONS.c.id.in_(wanted), SUBSCRIPTIONS.c.enabled.is_(True))
        .with_for_update(skip_locked=True, key_share=True)
    ).scalars())
    busy = in_flight(conn, locked, now=now, exclude=worker)
    remaining = sum(slots[sid].free for sid in wanted) if limit is None else limit
    ids: list[str] = []
    for subscription_id in wanted:
        if remaining <= 0:
            break
        if subscription_id not in locked:
            continue
        slot = slots[subscription_id]
        free = min(slot.free - busy.get(subscription_id, 0), remaining)
        if free > 0:
            found = _due(conn, subscription_id, free, ordered=slot.ordered, now=now)
            ids += found
            remaining -= len(found)
    if not ids:
        return []
    until = now + lease
    conn.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id.in_(ids))
        .values(lease_owner=worker, lease_until=until, next_attempt_at=until, attempts=DELIVERIES.c.attempts + 1,
                updated_at=now)
    )
    rows = conn.execute(
        select(DELIVERIES.c.id, DELIVERIES.c.subscription_id, DELIVERIES.c.event_id, DELIVERIES.c.event_type,
               DELIVERIES.c.body, DELIVERIES.c.attempts)
        .where(DELIVERIES.c.id.in_(ids))
        .order_by(DELIVERIES.c.event_seq)
    )
    return [Claim(r.id, r.subscription_id, r.event_id, r.event_type, r.body or "", r.attempts) for r in rows]


def _due(conn: Connection, subscription_id: str, limit: int, *, ordered: bool, now: datetime) -> list[str]:
    query = select(DELIVERIES.c.id).where(
        DELIVERIES.c.subscription_id == subscription_id,
        DELIVERIES.c.status == "pending",
        DELIVERIES.c.next_attempt_at <= now,
    )
    if ordered:
        earlier = DELIVERIES.alias("earlier")
        query = query.where(~exists().where(
            earlier.c.subscription_id == DELIVERIES.c.subscription_id,
            earlier.c.record_id == DELIVERIES.c.record_id,
            earlier.c.status == "pending",
            earlier.c.event_seq < DELIVERIES.c.event_seq,
        ))
    # The index's own order: sorting on anything more would read the whole backlog on every claim.
    query = query.order_by(DELIVERIES.c.next_attempt_at)
    return list(conn.execute(query.limit(limit).with_for_update(skip_locked=True)).scalars())


@dataclass
class Recorded:
    """What a batch of results changed."""

    succeeded: int = 0
    retried: int = 0
    dead: int = 0
    disabled: list[str] | None = None


def record_results(
    conn: Connection, worker: str, results: Sequence[AttemptResult], *, policy: DeliveryPolicy, now: datetime
) -> Recorded:
    """Store every attempt, then move each delivery on: succeeded, rescheduled, dead, or cancelled (410).

    A delivery whose lease was taken over meanwhile keeps the new owner's state; its
    attempt is still recorded (it happened).
    """
    outcome = Recorded(disabled=[])
    if not results:
        return outcome
    conn.execute(insert(ATTEMPTS), [_attempt_row(r, worker) for r in results])
    updates: list[dict[str, Any]] = []
    gone: dict[str, AttemptResult] = {}
    succeeded_subs: set[str] = set()
    failed_subs: dict[str, datetime] = {}
    for result in results:
        rule = verdict(result.status_code)
        subscription_id = result.claim.subscription_id
        values = {"b_id": result.claim.id, "b_code": result.status_code, "b_error": _last_error(result),
                  "b_delivered": None, "b_next": now, "b_status": "pending"}
        if rule is Verdict.SUCCEEDED:
            values.update(b_status="succeeded", b_delivered=result.started_at, b_error=None)
            succeeded_subs.add(subscription_id)
            outcome.succeeded += 1
        else:
            failed_subs.setdefault(subscription_id, result.started_at)
            if rule is Verdict.GONE:
                gone.setdefault(subscription_id, result)
            delay = policy.retry_delay(
                result.claim.attempt, retry_after=result.retry_after if rule is Verdict.SLOW_DOWN else None
            )
            if delay is None:
                values.update(b_status="dead", b_error=f"{values['b_error']} (gave up after "
                                                          f"{result.claim.attempt} attempts)")
                outcome.dead += 1
            else:
                values["b_next"] = now + timedelta(seconds=delay)
                outcome.retried += 1
        updates.append(values)
    conn.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.id == bindparam("b_id"), DELIVERIES.c.lease_owner == worker,
               DELIVERIES.c.status == "pending")
        .values(status=bindparam("b_status"), next_attempt_at=bindparam("b_next"),
                last_status_code=bindparam("b_code"), last_error=bindparam("b_error"),
                delivered_at=bindparam("b_delivered"), lease_owner=None, lease_until=None, updated_at=now),
        updates,
    )
    _track_health(conn, succeeded_subs, failed_subs, now=now)
    assert outcome.disabled is not None
    for subscription_id, result in gone.items():
        if disable_endpoint(conn, subscription_id, f"the endpoint answered 410 Gone at {iso_utc(result.started_at)}",
                            now=now):
            outcome.disabled.append(subscription_id)
    outcome.disabled += _disable_failing(conn, set(failed_subs) - succeeded_subs - set(gone), policy, now=now)
    return outcome


def _track_health(conn: Connection, succeeded: set[str], failed: Mapping[str, datetime], *, now: datetime) -> None:
    """``failing_since``: the first failure after the last success (a success clears it)."""
    if succeeded:
        conn.execute(
            update(SUBSCRIPTIONS)
            .where(SUBSCRIPTIONS.c.id.in_(sorted(succeeded)), SUBSCRIPTIONS.c.failing_since.is_not(None))
            .values(failing_since=None)
        )
    for subscription_id, since in sorted(failed.items()):
        if subscription_id in succeeded:
            continue
        conn.execute(
            update(SUBSCRIPTIONS)
            .where(SUBSCRIPTIONS.c.id == subscription_id, SUBSCRIPTIONS.c.failing_since.is_(None))
            .values(failing_since=since)
        )


def _disable_failing(conn: Connection, candidates: set[str], policy: DeliveryPolicy, *, now: datetime) -> list[str]:
    if not candidates:
        return []
    rows = conn.execute(
        select(SUBSCRIPTIONS.c.id, SUBSCRIPTIONS.c.failing_since).where(
            SUBSCRIPTIONS.c.id.in_(sorted(candidates)), SUBSCRIPTIONS.c.enabled.is_(True),
            SUBSCRIPTIONS.c.failing_since.is_not(None),
            SUBSCRIPTIONS.c.failing_since < now - policy.disable_after,
        )
    ).all()
    disabled = []
    for subscription_id, since in rows:
        hours = policy.disable_after.total_seconds() / 3600
        reason = f"every delivery failed since {iso_utc(since)} (longer than {hours:g} h)"
        if disable_endpoint(conn, subscription_id, reason, now=now):
            disabled.append(subscription_id)
    return disabled


def _attempt_row(result: AttemptResult, worker: str) -> dict[str, Any]:
    return {
        "delivery_id": result.claim.id, "attempt": result.claim.attempt, "started_at": result.started_at,
        "latency_ms": result.latency_ms, "status_code": result.status_code, "response_body": result.response_body,
        "error": result.error, "worker": result.worker or worker,
    }


def _last_error(result: AttemptResult) -> str | None:
    if result.error:
        return result.error
    if result.status_code is not None and not 200 <= result.status_code < 300:
        return f"HTTP {result.status_code}"
    return None
