"""Shared fixtures: a migrated database on SQLite and on PostgreSQL.

Store tests take the ``engine`` fixture and so run on both backends. PostgreSQL
is the server at 127.0.0.1:5432 (override with HUB_TEST_POSTGRES_URL); each test
run creates a fresh database and drops it at the end.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from hub.db.engine import create_db_engine
from hub.db.migrate import upgrade
from hub.db.schema import metadata

POSTGRES_ADMIN_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating per test would be slow)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "hub.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run, dropped afterwards."""
    admin = make_url(POSTGRES_ADMIN_URL)
    name = f"hub_test_{uuid.uuid4().hex[:10]}"
    admin_dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {admin.render_as_string()} ({exc}); store tests run on both "
            "SQLite and PostgreSQL. Start it or set HUB_TEST_POSTGRES_URL."
        )
    url = admin.set(database=name).render_as_string(hide_password=False)
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db_engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """An empty, migrated SQLite database (for tests that are not about the backend)."""
    path = tmp_path / "hub.db"
    shutil.copy(sqlite_template, path)
    engine = create_db_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "hub.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        eng = create_db_engine(f"sqlite:///{path}")
    else:
        eng = _emptied_postgres(request.getfixturevalue("postgres_url"))
    yield eng
    eng.dispose()


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """An empty, migrated PostgreSQL database, for tests of PostgreSQL-only behaviour (locks)."""
    eng = _emptied_postgres(postgres_url)
    yield eng
    eng.dispose()


def _emptied_postgres(url: str) -> Engine:
    eng = create_db_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with eng.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return eng
