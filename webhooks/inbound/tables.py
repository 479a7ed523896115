"""The ``inbound_messages`` table: every accepted inbound request, raw, until (and after) it is processed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, LargeBinary, String
from sqlmodel import Field, SQLModel

from hub.db.types import UTCDateTime, json_type

PENDING, PROCESSED, QUARANTINED = "pending", "processed", "quarantined"
REJECTED = "rejected"  # a vendor callback that failed verification: kept for the admin, never processed
STATUSES = (PENDING, PROCESSED, QUARANTINED, REJECTED)


class InboundMessageRow(SQLModel, table=True):
    """A webhook or vendor callback as received: raw body and headers, committed before the sender got 2xx."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        # The first message with a key wins; a concurrent or later one with the same key is a duplicate.
        # (NULL keys never collide: messages without a key are not deduplicated.)
        Index("uq_inbound_messages_dedupe", "channel", "source", "dedupe_key", unique=True),
        Index("ix_inbound_messages_status", "status", "id"),
        Index("ix_inbound_messages_source", "source", "id"),
    )

    id: str = Field(primary_key=True, sa_type=String(40))
    channel: str = Field(sa_type=String(40), description="Who processes it: webhook, or a vendor's callbacks.")
    source: str = Field(sa_type=String(63), description="The source (or connector) it came to.")
    dedupe_key: str | None = Field(default=None, sa_type=String(200))
    body: bytes = Field(sa_type=LargeBinary)
    headers: dict[str, Any] = Field(sa_type=json_type(), description="Request headers less credentials.")
    status: str = Field(default=PENDING, sa_type=String(20))
    attempts: int = Field(default=0, description="How many times processing ran (replays included).")
    error: dict[str, Any] | None = Field(default=None, sa_type=json_type(),
                                         description="Why it is quarantined or rejected: {kind, message, reason...}.")
    result: dict[str, Any] | None = Field(default=None, sa_type=json_type(), description="The records it wrote.")
    received_at: datetime = Field(sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
