"""Canonical store, events and API keys: the first schema.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import hub.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prefix"),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("number", sa.String(length=100), nullable=True),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("amount", hub.db.types.Money(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("signed_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contracts_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("tax_id", sa.String(length=32), nullable=True),
        sa.Column("phones", sa.JSON(), nullable=True),
        sa.Column("emails", sa.JSON(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_tax_id"), ["tax_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("record_version", sa.Integer(), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("occurred_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_record", ["record_id"], unique=False)
        batch_op.create_index("ix_events_type_seq", ["type", "seq"], unique=False)

    op.create_table(
        "identity_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("identity_keys", schema=None) as batch_op:
        batch_op.create_index("ix_identity_keys_lookup", ["value", "kind", "entity"], unique=False)
        batch_op.create_index("ix_identity_keys_record", ["record_id"], unique=False)

    op.create_table(
        "identity_matches",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column(
            "candidate_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("rule", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("identity_matches", schema=None) as batch_op:
        batch_op.create_index("ix_identity_matches_status", ["status"], unique=False)

    op.create_table(
        "merge_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("survivor_id", sa.String(length=40), nullable=False),
        sa.Column("merged_id", sa.String(length=40), nullable=True),
        sa.Column(
            "refs", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("created_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("merge_history", schema=None) as batch_op:
        batch_op.create_index("ix_merge_history_survivor", ["survivor_id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("number", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("total", hub.db.types.Money(), nullable=True),
        sa.Column("lines", sa.JSON(), nullable=True),
        sa.Column("ordered_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.Column("payment_status", sa.String(length=20), nullable=True),
        sa.Column("paid_amount", hub.db.types.Money(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "production_orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("number", sa.String(length=100), nullable=True),
        sa.Column("order_id", sa.String(length=40), nullable=True),
        sa.Column("sku", sa.String(length=100), nullable=True),
        sa.Column("qty", hub.db.types.Money(), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.Column("planned_start", hub.db.types.UTCDateTime(), nullable=True),
        sa.Column("planned_finish", hub.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("production_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_production_orders_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_production_orders_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_production_orders_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("code", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("contract_id", sa.String(length=40), nullable=True),
        sa.Column("manager", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "record_refs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("system", sa.String(length=60), nullable=False),
        sa.Column("object", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column(
            "fields", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("fields_hash", sa.String(length=64), nullable=False),
        sa.Column("raw", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True),
        sa.Column("created_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("external_id", "system", "object", "entity", name="uq_record_refs_source"),
    )
    with op.batch_alter_table("record_refs", schema=None) as batch_op:
        batch_op.create_index("ix_record_refs_record", ["record_id"], unique=False)

    op.create_table(
        "record_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "changes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("source_system", sa.String(length=60), nullable=True),
        sa.Column("created_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id", "version", name="uq_record_versions_record_version"),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", hub.db.types.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("priority", sa.String(length=20), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("sla_due_at", hub.db.types.UTCDateTime(), nullable=True),
        sa.Column("thread", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_updated_at"), ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_updated_at"))
        batch_op.drop_index(batch_op.f("ix_tickets_customer_id"))

    op.drop_table("tickets")
    op.drop_table("record_versions")
    with op.batch_alter_table("record_refs", schema=None) as batch_op:
        batch_op.drop_index("ix_record_refs_record")

    op.drop_table("record_refs")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_updated_at"))
        batch_op.drop_index(batch_op.f("ix_projects_customer_id"))
        batch_op.drop_index(batch_op.f("ix_projects_contract_id"))
        batch_op.drop_index(batch_op.f("ix_projects_code"))

    op.drop_table("projects")
    with op.batch_alter_table("production_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_production_orders_updated_at"))
        batch_op.drop_index(batch_op.f("ix_production_orders_order_id"))
        batch_op.drop_index(batch_op.f("ix_production_orders_number"))

    op.drop_table("production_orders")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_updated_at"))
        batch_op.drop_index(batch_op.f("ix_orders_number"))
        batch_op.drop_index(batch_op.f("ix_orders_customer_id"))

    op.drop_table("orders")
    with op.batch_alter_table("merge_history", schema=None) as batch_op:
        batch_op.drop_index("ix_merge_history_survivor")

    op.drop_table("merge_history")
    with op.batch_alter_table("identity_matches", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_matches_status")

    op.drop_table("identity_matches")
    with op.batch_alter_table("identity_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_keys_record")
        batch_op.drop_index("ix_identity_keys_lookup")

    op.drop_table("identity_keys")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_type_seq")
        batch_op.drop_index("ix_events_record")

    op.drop_table("events")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_updated_at"))
        batch_op.drop_index(batch_op.f("ix_customers_tax_id"))
        batch_op.drop_index(batch_op.f("ix_customers_name"))

    op.drop_table("customers")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contracts_updated_at"))
        batch_op.drop_index(batch_op.f("ix_contracts_number"))
        batch_op.drop_index(batch_op.f("ix_contracts_customer_id"))

    op.drop_table("contracts")
    op.drop_table("api_keys")
