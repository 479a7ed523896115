"""The ``flow_runs``, ``flow_steps`` and ``flow_cursor`` tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlmodel import Field, SQLModel

from hub.db.types import UTCDateTime, json_type


class FlowRunRow(SQLModel, table=True):
    __tablename__ = "flow_runs"
    __table_args__ = (
        Index("uq_flow_runs_event", "flow", "event_id", unique=True),  # one run per flow and event
        Index("ix_flow_runs_status", "status", "id"),
        Index("ix_flow_runs_record", "record_id", "id"),
    )

    id: str = Field(primary_key=True, sa_type=String(40))
    flow: str = Field(sa_type=String(80))
    flow_hash: str = Field(sa_type=String(16))
    event_id: str | None = Field(default=None, sa_type=String(40))
    event_type: str | None = Field(default=None, sa_type=String(80))
    entity: str | None = Field(default=None, sa_type=String(40))
    record_id: str | None = Field(default=None, sa_type=String(40))
    status: str = Field(sa_type=String(20))  # running, waiting, succeeded, failed, cancelled
    step: str | None = Field(default=None, sa_type=String(80))  # the current (or failed) step
    context: dict[str, Any] = Field(sa_type=json_type())  # {"event": ..., "steps": {id: output}}
    error: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FlowStepRow(SQLModel, table=True):
    __tablename__ = "flow_steps"
    __table_args__ = (Index("uq_flow_steps_run_step", "run_id", "step", unique=True),)

    id: str = Field(primary_key=True, sa_type=String(40))
    run_id: str = Field(sa_type=String(40))
    step: str = Field(sa_type=String(80))
    kind: str = Field(sa_type=String(20))
    status: str = Field(sa_type=String(20))  # running, waiting, succeeded, skipped, failed
    attempts: int = Field(default=0)
    idempotency_key: str = Field(sa_type=String(200))
    output: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    error: str | None = Field(default=None, sa_type=Text)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FlowCursorRow(SQLModel, table=True):
    """How far the trigger has read the events (one row)."""

    __tablename__ = "flow_cursor"

    name: str = Field(primary_key=True, sa_type=String(40))
    seq: int = Field(default=0)
    updated_at: datetime = Field(sa_type=UTCDateTime)
