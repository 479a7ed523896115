"""Remember which mapping (name and hash) produced each source record's fields, for `hub remap`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable columns without defaults: an instant catalog change on PostgreSQL, no table rewrite.
    with op.batch_alter_table("record_refs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mapping", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("mapping_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_record_refs_mapping"), ["mapping"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("record_refs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_refs_mapping"))
        batch_op.drop_column("mapping_hash")
        batch_op.drop_column("mapping")
