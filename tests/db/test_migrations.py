"""Migrations: idempotent, and the schema they build is exactly the one the code expects."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from hub.db.migrate import head_revision, schema_status, upgrade
from hub.db.schema import metadata


def test_migrations_build_the_schema_the_models_describe(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)

    assert differences == []


def test_upgrading_an_up_to_date_database_changes_nothing(engine: Engine) -> None:
    before, after = upgrade(engine)

    assert before == after == head_revision()
    assert schema_status(engine).ready
