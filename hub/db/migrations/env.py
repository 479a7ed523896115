"""Alembic environment: always run through ``hub.db.migrate`` (``hub db upgrade``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from hub.db.schema import metadata


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode recreates tables
        compare_type=True,
        user_module_prefix="hub.db.types.",
        literal_binds=connection is None,
    )


if context.is_offline_mode():
    _configure(url=context.config.get_main_option("sqlalchemy.url"))
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = context.config.attributes["connection"]
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
