"""What the commands share: settings, the database and its readiness, output helpers.

Everything here raises :class:`~hub.errors.HubError` subclasses for expected
failures; :mod:`hub.cli.main` prints them as ``error: ...`` without a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url

from hub.errors import ConfigError, DatabaseNotReadyError
from hub.settings import Settings, get_settings

UPGRADE_HINT = "run `hub db upgrade` first"


def load_settings() -> Settings:
    """The ``HUB_*`` settings; a bad value is a ConfigError naming the variable."""
    try:
        return get_settings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_url=False):
            variable = "HUB_" + "_".join(str(part) for part in error["loc"]).upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(message if message.startswith(variable) else f"{variable}: {message}")
        raise ConfigError(
            "invalid setting: " + lines[0] if len(lines) == 1 else "invalid settings:\n  " + "\n  ".join(lines)
        ) from None


def display_url(url: str) -> str:
    """A database URL safe to print (password hidden)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported by create_db_engine, not here
        return "<invalid URL>"


@contextmanager
def database(settings: Settings) -> Iterator[Engine]:
    """An engine for the configured database, disposed afterwards."""
    from hub.db.engine import create_db_engine

    if settings.database_url is None and not settings.workspace.is_dir():
        raise ConfigError(
            f"workspace folder {settings.workspace} does not exist (the default database hub.db lives there)",
            details={"hint": f"create it with `hub init {settings.workspace}` or set HUB_WORKSPACE / HUB_DATABASE_URL"},
        )
    engine = create_db_engine(settings.effective_database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def require_current_schema(engine: Engine) -> None:
    """Raise DatabaseNotReadyError (with the fix) unless the schema is at the head revision."""
    from hub.db.migrate import schema_status

    status = schema_status(engine)
    if status.ready:
        return
    if status.current is None:
        message = f"the database has no schema yet: {UPGRADE_HINT}"
    else:
        message = f"the database schema is at revision {status.current}, this hub needs {status.head}: {UPGRADE_HINT}"
    raise DatabaseNotReadyError(
        message, details={"database": display_url(str(engine.url)), "current": status.current, "head": status.head}
    )


def info(message: str) -> None:
    """A line for the person at the terminal (stderr, so stdout stays clean for scripts)."""
    typer.echo(message, err=True)


T = TypeVar("T")


def purge_older_than(older_than: str, purge: Callable[[Connection, datetime], T]) -> T:
    """A retention command: ``purge(conn, cutoff)`` in one transaction on the migrated database."""
    from hub.cli.subscriptions import parse_duration  # the CLI's one duration parser (30d, 12h)
    from hub.db.types import utcnow

    cutoff = utcnow() - parse_duration(older_than)
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            return purge(conn, cutoff)
