"""Tables of the sync engine: where each stream left off, the run history, and quarantined records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String, Text
from sqlmodel import Field, SQLModel

from hub.db.types import UTCDateTime, json_type

RUN_STATUSES = ("queued", "running", "succeeded", "failed", "needs_confirmation")
QUARANTINE_STATUSES = ("pending", "retried", "discarded")


class SyncStateRow(SQLModel, table=True):
    """The state of a connector's stream after its last committed page (``StreamState.to_json()``)."""

    __tablename__ = "sync_state"

    connector: str = Field(primary_key=True, sa_type=String(63))
    stream: str = Field(primary_key=True, sa_type=String(100))
    state: dict[str, Any] = Field(sa_type=json_type())
    updated_at: datetime = Field(sa_type=UTCDateTime)
    run_id: str | None = Field(default=None, sa_type=String(40), description="The run that saved it.")


class SyncRunRow(SQLModel, table=True):
    """One attempt at syncing one connector's entity, with its counts."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        Index("ix_sync_runs_connector_entity", "connector", "entity", "created_at"),
        Index("ix_sync_runs_status", "status"),
        Index("ix_sync_runs_job", "job_id"),
    )

    id: str = Field(primary_key=True, sa_type=String(40))
    connector: str = Field(sa_type=String(63))
    entity: str = Field(sa_type=String(40))
    stream: str | None = Field(default=None, sa_type=String(100))  # known once the run starts
    mapping: str | None = Field(default=None, sa_type=String(200))
    mode: str = Field(sa_type=String(20), description="full or incremental.")
    status: str = Field(sa_type=String(20))
    confirm_deletions: bool = Field(default=False)
    pages: int = Field(default=0)
    read: int = Field(default=0)
    created: int = Field(default=0)
    updated: int = Field(default=0)
    unchanged: int = Field(default=0)
    quarantined: int = Field(default=0)
    deleted: int = Field(default=0)
    error: str | None = Field(default=None, sa_type=Text)
    details: dict[str, Any] | None = Field(default=None, sa_type=json_type())  # e.g. the deletion guard's numbers
    job_id: str | None = Field(default=None, sa_type=String(40))
    created_at: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    duration_seconds: float | None = Field(default=None, sa_type=Float)


class QuarantinedRecordRow(SQLModel, table=True):
    """A record a sync could not store, kept with its raw form and why, until retried or discarded."""

    __tablename__ = "quarantined_records"
    __table_args__ = (
        Index("ix_quarantined_records_status", "status", "connector"),
        # A pending entry per record: a record that fails again updates its entry instead of adding one.
        Index("ix_quarantined_records_source", "connector", "stream", "external_id"),
    )

    id: str = Field(primary_key=True, sa_type=String(40))
    connector: str = Field(sa_type=String(63))
    stream: str = Field(sa_type=String(100))
    entity: str = Field(sa_type=String(40))
    system: str = Field(sa_type=String(60))
    mapping: str | None = Field(default=None, sa_type=String(200))
    external_id: str | None = Field(default=None, sa_type=String(200))
    raw: Any = Field(sa_type=json_type())
    raw_hash: str = Field(sa_type=String(64))
    error: dict[str, Any] = Field(sa_type=json_type(), description="{kind, field, value (masked), reason, message}")
    status: str = Field(default="pending", sa_type=String(20))
    occurrences: int = Field(default=1)
    run_id: str | None = Field(default=None, sa_type=String(40))
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = Field(default=None, sa_type=String(100))
