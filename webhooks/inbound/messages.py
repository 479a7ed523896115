"""Accepting inbound messages (persist raw, dedupe, queue processing) and reading them back.

``accept`` and ``accept_many`` run in the caller's transaction: once it commits, the
message is durable and its processing job is queued with it, so the sender may be
answered. They serve every channel: inbound webhooks, and the vendors' callbacks::

    with engine.begin() as conn:
        accepted = accept(conn, "wecom", "wecom-main", body, headers, dedupe_key=msg_id)
    # answer the vendor now; a worker processes the message later
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hub.db.paging import newest_first
from hub.db.types import iso_utc, utcnow
from hub.errors import NotFoundError
from hub.ids import new_id
from hub.jobs.queue import enqueue
from webhooks.inbound.tables import PENDING, REJECTED, InboundMessageRow

MESSAGES = InboundMessageRow.__table__  # type: ignore[attr-defined]
INBOUND_JOB = "inbound"
JOB_ATTEMPTS = 5
REJECTED_BODY_LIMIT = 64 * 1024  # a rejected request is kept for diagnosis, not in full
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A request as received, to be stored before it is answered."""

    channel: str  # which processor handles it: "webhook", or a vendor's callbacks ("wecom", "dingtalk")
    source: str  # the inbound source's (or connector's) name
    body: bytes
    headers: Mapping[str, str]  # already stripped of credentials
    dedupe_key: str | None = None  # messages of a channel and source with the same key are one message


@dataclass(frozen=True, slots=True)
class Accepted:
    id: str  # for a duplicate: the id of the first message with its key
    duplicate: bool


def accept(
    conn: Connection, channel: str, source: str, body: bytes, headers: Mapping[str, str],
    dedupe_key: str | None = None,
) -> Accepted:
    """Store one message and queue its processing, in ``conn``'s transaction; a duplicate gets the first id."""
    [accepted] = accept_many(conn, [NewMessage(channel, source, body, headers, dedupe_key)])
    return accepted


def accept_many(conn: Connection, messages: Sequence[NewMessage], *, now: datetime | None = None) -> list[Accepted]:
    """Store many messages and queue one job for the new ones, in ``conn``'s transaction.

    Deduplication holds across transactions and processes: the unique index on
    (channel, source, dedupe_key) lets exactly one message per key in; the others find
    its id. Within ``messages`` the first with a key wins.
    """
    now = now or utcnow()
    rows: list[dict[str, Any]] = [
        {"id": new_id("in"), "channel": m.channel, "source": m.source, "dedupe_key": m.dedupe_key, "body": m.body,
         "headers": dict(m.headers), "status": PENDING, "attempts": 0, "received_at": now}
        for m in messages
    ]
    if not rows:
        return []
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    inserted = conn.execute(insert(MESSAGES).on_conflict_do_nothing(), rows).rowcount
    keyed: list[tuple[str, str, str]] = [
        (m.channel, m.source, m.dedupe_key) for m in messages if m.dedupe_key is not None
    ]
    # Every row went in (the common case): no key was taken, no need to look them up.
    stored = _stored_ids(conn, keyed) if keyed and inserted != len(rows) else {}
    results = []
    for message, row in zip(messages, rows, strict=True):
        first = stored.get((message.channel, message.source, message.dedupe_key)) if message.dedupe_key else None
        own = str(row["id"])
        results.append(Accepted(first, True) if first is not None and first != own else Accepted(own, False))
    new = [r.id for r in results if not r.duplicate]
    if new:
        enqueue(conn, INBOUND_JOB, {"ids": new}, max_attempts=JOB_ATTEMPTS)
    return results


def store_rejected(
    conn: Connection, channel: str, source: str, body: bytes, headers: Mapping[str, str], *, reason: str,
    message: str, now: datetime | None = None,
) -> str:
    """Keep a request that failed verification (status ``rejected``, no job), in ``conn``'s transaction; its id.

    The body is cut to ``REJECTED_BODY_LIMIT`` bytes; ``error`` is ``{kind: "rejected", reason, message}``.
    Never deduplicated and never processed: it is evidence for the admin (wrong token or key, an attack).
    """
    message_id = new_id("in")
    conn.execute(MESSAGES.insert().values(
        id=message_id, channel=channel, source=source, dedupe_key=None, body=bytes(body[:REJECTED_BODY_LIMIT]),
        headers=dict(headers), status=REJECTED, attempts=0,
        error={"kind": "rejected", "reason": reason, "message": message}, received_at=now or utcnow(),
    ))
    return message_id


def _stored_ids(conn: Connection, keys: Sequence[tuple[str, str, str]]) -> dict[tuple[str, str, str | None], str]:
    """``(channel, source, key) -> id`` of the message holding each key (committed, or ours in this transaction)."""
    found: dict[tuple[str, str, str | None], str] = {}
    by_source: dict[tuple[str, str], list[str]] = {}
    for channel, source, key in keys:
        by_source.setdefault((channel, source), []).append(key)
    for (channel, source), values in by_source.items():
        unique = sorted(set(values))
        for start in range(0, len(unique), _CHUNK):
            query = select(MESSAGES.c.id, MESSAGES.c.dedupe_key).where(
                MESSAGES.c.channel == channel, MESSAGES.c.source == source,
                MESSAGES.c.dedupe_key.in_(unique[start:start + _CHUNK]),
            )
            found.update({(channel, source, str(key)): str(message_id) for message_id, key in conn.execute(query)})
    return found


def get_message(conn: Connection, message_id: str) -> dict[str, Any]:
    """The message document with its body; NotFoundError."""
    row = conn.execute(select(MESSAGES).where(MESSAGES.c.id == message_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no inbound message {message_id!r}")
    return message_document(dict(row), with_body=True)


def list_messages(
    conn: Connection,
    *,
    status: str | None = None,
    source: str | None = None,
    channel: str | None = None,
    before: str | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, without bodies; ``before`` is the last id of the previous page."""
    return newest_first(conn, MESSAGES, filters={"status": status, "source": source, "channel": channel},
                        before=before, limit=limit, document=message_document,
                        columns=[c for c in MESSAGES.c if c.name != "body"])


def message_ids(conn: Connection, *, status: str, source: str | None = None) -> list[str]:
    """Ids of every message in ``status`` (oldest first), e.g. all quarantined ones to replay."""
    query = select(MESSAGES.c.id).where(MESSAGES.c.status == status).order_by(MESSAGES.c.id)
    if source:
        query = query.where(MESSAGES.c.source == source)
    return [str(v) for v in conn.execute(query).scalars()]


def message_document(row: dict[str, Any], *, with_body: bool = False) -> dict[str, Any]:
    """JSON-ready: times in ISO UTC; the body as text when it is UTF-8, else as ``body_base64``."""
    doc = dict(row)
    for key in ("received_at", "processed_at"):
        doc[key] = iso_utc(doc[key]) if doc.get(key) else None
    body = doc.pop("body", None)
    if with_body and body is not None:
        try:
            doc["body"] = bytes(body).decode()
        except UnicodeDecodeError:
            doc["body_base64"] = base64.b64encode(bytes(body)).decode()
    return doc
