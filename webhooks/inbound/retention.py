"""Retention of inbound messages: old bodies go, the rows that deduplicate stay. Caller's transaction.

A processed message keeps its row (id, dedupe key, status, the records it wrote) so a sender
that retries a month later still gets 200 and the first id; only its body and headers are
cleared. Rejected requests (failed verification) are deleted. Pending and quarantined
messages are never touched: they still need processing or an admin's decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, delete, func, update

from webhooks.inbound.messages import MESSAGES
from webhooks.inbound.tables import PROCESSED, REJECTED


@dataclass(frozen=True)
class Purged:
    emptied: int  # processed messages whose body and headers were cleared
    deleted: int  # rejected requests removed


def purge_messages(conn: Connection, *, before: datetime) -> Purged:
    emptied = conn.execute(
        update(MESSAGES)
        .where(and_(MESSAGES.c.status == PROCESSED, MESSAGES.c.received_at < before,
                    func.length(MESSAGES.c.body) > 0))
        .values(body=b"", headers={})
    ).rowcount
    deleted = conn.execute(
        delete(MESSAGES).where(MESSAGES.c.status == REJECTED, MESSAGES.c.received_at < before)
    ).rowcount
    return Purged(int(emptied or 0), int(deleted or 0))


def is_purged(body: bytes, status: str) -> bool:
    """Retention emptied it: there is nothing left to process again."""
    return status == PROCESSED and not body
