"""The ``jobs`` table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, text
from sqlmodel import Field, SQLModel

from hub.db.types import UTCDateTime, json_type

ACTIVE = ("queued", "running")


class JobRow(SQLModel, table=True):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_claim", "status", "run_after"),
        # At most one queued-or-running job per key (e.g. one sync per connector and entity).
        Index(
            "uq_jobs_active_key", "dedupe_key", unique=True,
            postgresql_where=text("status IN ('queued', 'running')"),
            sqlite_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: str = Field(primary_key=True, sa_type=String(40))
    kind: str = Field(sa_type=String(40))
    dedupe_key: str | None = Field(default=None, sa_type=String(200))
    payload: dict[str, Any] = Field(sa_type=json_type())
    status: str = Field(default="queued", sa_type=String(20))
    priority: int = Field(default=0)
    run_after: datetime = Field(sa_type=UTCDateTime)
    attempts: int = Field(default=0)
    max_attempts: int = Field(default=3)
    lease_owner: str | None = Field(default=None, sa_type=String(100))
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    result: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    created_at: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
