"""Schema migrations: apply (``hub db upgrade``), print as SQL, and check readiness."""

from __future__ import annotations

import io
from dataclasses import dataclass

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from hub.errors import DatabaseNotReadyError


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", "hub.db:migrations")
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise DatabaseNotReadyError(f"cannot reach the database: {exc.__class__.__name__}: {exc}") from exc


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Bring the schema to ``revision``; a no-op when already there. Returns (before, after)."""
    before = current_revision(engine)
    with engine.begin() as conn:
        config = _config()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    return before, current_revision(engine) or ""


def upgrade_sql(url: str, revision: str = "head") -> str:
    """The SQL ``upgrade`` would run, for DBAs who apply migrations themselves."""
    buffer = io.StringIO()
    config = _config()
    config.output_buffer = buffer
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, revision, sql=True)
    return buffer.getvalue()


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str

    @property
    def ready(self) -> bool:
        return self.current == self.head


def schema_status(engine: Engine) -> SchemaStatus:
    return SchemaStatus(current_revision(engine), head_revision())
