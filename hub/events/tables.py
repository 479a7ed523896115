"""The outbox: every change to a canonical record, written in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, String
from sqlmodel import Field, SQLModel

from hub.db.types import UTCDateTime, json_type


class Event(SQLModel, table=True):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_type_seq", "type", "seq"),
        Index("ix_events_record", "record_id"),
        {"sqlite_autoincrement": True},  # never reuse a sequence number, even after retention
    )

    seq: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    id: str = Field(sa_type=String(40), unique=True, description="Stable id; outbound webhook-id.")
    type: str = Field(sa_type=String(80))
    entity: str = Field(sa_type=String(40))
    record_id: str = Field(sa_type=String(40))
    record_version: int
    payload: dict[str, Any] = Field(sa_type=json_type())
    occurred_at: datetime = Field(sa_type=UTCDateTime)
