"""One engine factory for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from hub.db.sqlite_gate import GatedConnection, WriteGate, gated
from hub.errors import ConfigError


def normalize_database_url(url: str) -> str:
    """Accept the URLs admins write (``postgresql://``, ``postgres://``) and pick our driver."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
        raise ConfigError(
            f"HUB_DATABASE_URL is not a database URL: {exc}",
            details={"hint": "e.g. sqlite:///hub.db or postgresql://user@127.0.0.1:5432/hub"},
        ) from exc
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise ConfigError(
            f"HUB_DATABASE_URL uses {backend!r}; the hub supports sqlite and postgresql",
            details={"url": parsed.render_as_string(hide_password=True)},
        )
    return parsed.render_as_string(hide_password=False)


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine with the connection settings the store relies on.

    SQLite: WAL (readers never block the writer), foreign keys on, a busy timeout so
    concurrent writers wait instead of failing, and ``BEGIN IMMEDIATE`` so a
    transaction takes the write lock up front (no deadlock on lock upgrade);
    read-only work uses :func:`read_only` instead.
    PostgreSQL: sessions in UTC, custom plans for prepared statements.
    """
    normalized = normalize_database_url(url)
    if normalized.startswith("sqlite"):
        engine = create_engine(
            normalized, echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30, "factory": GatedConnection},
        )
        database = make_url(normalized).database
        in_memory = not database or database == ":memory:" or database.startswith("file::memory:")
        _configure_sqlite(engine, WriteGate(None if in_memory or database is None else Path(database + "-gate")))
        return engine
    return create_engine(
        normalized,
        echo=echo,
        pool_pre_ping=True,
        # psycopg prepares statements run often; a generic plan for "value IN (500 params)"
        # ignores the index (seen: 30x slower identity lookups), so always plan with the values.
        connect_args={"options": "-c timezone=UTC -c plan_cache_mode=force_custom_plan"},
    )


def _configure_sqlite(engine: Engine, gate: WriteGate) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        connection = gated(dbapi_connection)
        if connection is not None:  # one gate per engine: its connections write one at a time
            connection.gate = gate
        # Take over transaction control from the sqlite3 module so BEGIN IMMEDIATE works.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        mode = options.get("sqlite_begin", "IMMEDIATE")
        dbapi = gated(connection.connection.dbapi_connection)
        if mode == "IMMEDIATE" and dbapi is not None:
            dbapi.take_gate(priority=bool(options.get("sqlite_priority")))
        try:
            connection.exec_driver_sql(f"BEGIN {_BEGIN_MODES[mode]}")
        except BaseException:
            if dbapi is not None:
                dbapi.give_gate()
            raise


_BEGIN_MODES = {"IMMEDIATE": "IMMEDIATE", "DEFERRED": "DEFERRED"}


def read_only(engine: Engine) -> Connection:
    """A connection for reads: on SQLite it does not take the write lock, so readers never block writers.

    Every other connection starts ``BEGIN IMMEDIATE`` on SQLite: the store reads
    then writes, and taking the lock up front is what makes that safe.
    """
    return engine.connect().execution_options(sqlite_begin="DEFERRED")
