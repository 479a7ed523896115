"""Sync engine: stream state, run history, quarantined records; refs remember when a full sync saw them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import hub.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sync_state",
        sa.Column("connector", sa.String(length=63), nullable=False),
        sa.Column("stream", sa.String(length=100), nullable=False),
        sa.Column("state", _json(), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("connector", "stream"),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("connector", sa.String(length=63), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("stream", sa.String(length=100), nullable=True),
        sa.Column("mapping", sa.String(length=200), nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("confirm_deletions", sa.Boolean(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("read", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("details", _json(), nullable=True),
        sa.Column("job_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("started_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index("ix_sync_runs_connector_entity", ["connector", "entity", "created_at"], unique=False)
        batch_op.create_index("ix_sync_runs_job", ["job_id"], unique=False)
        batch_op.create_index("ix_sync_runs_status", ["status"], unique=False)

    op.create_table(
        "quarantined_records",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("connector", sa.String(length=63), nullable=False),
        sa.Column("stream", sa.String(length=100), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("system", sa.String(length=60), nullable=False),
        sa.Column("mapping", sa.String(length=200), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("raw", _json(), nullable=False),
        sa.Column("raw_hash", sa.String(length=64), nullable=False),
        sa.Column("error", _json(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quarantined_records", schema=None) as batch_op:
        batch_op.create_index("ix_quarantined_records_source", ["connector", "stream", "external_id"], unique=False)
        batch_op.create_index("ix_quarantined_records_status", ["status", "connector"], unique=False)

    # Nullable without a default: an instant catalog change on PostgreSQL, no table rewrite.
    with op.batch_alter_table("record_refs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seen_at", hub.db.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("record_refs", schema=None) as batch_op:
        batch_op.drop_column("seen_at")

    with op.batch_alter_table("quarantined_records", schema=None) as batch_op:
        batch_op.drop_index("ix_quarantined_records_status")
        batch_op.drop_index("ix_quarantined_records_source")
    op.drop_table("quarantined_records")

    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_runs_status")
        batch_op.drop_index("ix_sync_runs_job")
        batch_op.drop_index("ix_sync_runs_connector_entity")
    op.drop_table("sync_runs")

    op.drop_table("sync_state")
