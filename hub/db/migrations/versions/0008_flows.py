"""Flows: runs, their steps, and the trigger's cursor over the events.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import hub.db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "flow_runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("flow", sa.String(length=80), nullable=False),
        sa.Column("flow_hash", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=True),
        sa.Column("event_type", sa.String(length=80), nullable=True),
        sa.Column("entity", sa.String(length=40), nullable=True),
        sa.Column("record_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("step", sa.String(length=80), nullable=True),
        sa.Column("context", _json(), nullable=False),
        sa.Column("error", _json(), nullable=True),
        sa.Column("created_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.create_index("uq_flow_runs_event", ["flow", "event_id"], unique=True)
        batch_op.create_index("ix_flow_runs_status", ["status", "id"], unique=False)
        batch_op.create_index("ix_flow_runs_record", ["record_id", "id"], unique=False)
    op.create_table(
        "flow_steps",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("step", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("output", _json(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("flow_steps", schema=None) as batch_op:
        batch_op.create_index("uq_flow_steps_run_step", ["run_id", "step"], unique=True)
    op.create_table(
        "flow_cursor",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("flow_cursor")
    with op.batch_alter_table("flow_steps", schema=None) as batch_op:
        batch_op.drop_index("uq_flow_steps_run_step")
    op.drop_table("flow_steps")
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_runs_record")
        batch_op.drop_index("ix_flow_runs_status")
        batch_op.drop_index("uq_flow_runs_event")
    op.drop_table("flow_runs")
