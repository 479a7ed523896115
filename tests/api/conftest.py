"""Fixtures for API tests: a migrated SQLite file per test, an app on it, and keys of each role."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hub.api import create_app
from hub.settings import Settings
from tests.api.builders import bearer

with warnings.catch_warnings():
    # Starlette asks for httpx2; the project pins httpx, which works the same for TestClient.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture
def client(db_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(workspace=tmp_path), engine=db_engine)) as test_client:
        yield test_client


@pytest.fixture
def viewer(db_engine: Engine) -> dict[str, str]:
    return bearer(db_engine, "viewer")


@pytest.fixture
def operator(db_engine: Engine) -> dict[str, str]:
    return bearer(db_engine, "operator", "ops-alice")
