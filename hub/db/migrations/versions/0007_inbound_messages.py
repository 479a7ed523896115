"""Inbound messages: webhooks (and vendor callbacks) stored raw before they are answered, deduplicated by key.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import hub.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=63), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("headers", _json(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", _json(), nullable=True),
        sa.Column("result", _json(), nullable=True),
        sa.Column("received_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("processed_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_messages_source", ["source", "id"], unique=False)
        batch_op.create_index("ix_inbound_messages_status", ["status", "id"], unique=False)
        batch_op.create_index("uq_inbound_messages_dedupe", ["channel", "source", "dedupe_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index("uq_inbound_messages_dedupe")
        batch_op.drop_index("ix_inbound_messages_status")
        batch_op.drop_index("ix_inbound_messages_source")

    op.drop_table("inbound_messages")
