"""An app on a migrated SQLite file with the inbound test workspace, and processing without a worker."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from hub.api import create_app
from hub.api.hotpaths import HotPaths
from hub.settings import Settings
from tests.webhooks.inbound.helpers import write_workspace
from webhooks.inbound import Contexts, Outcome, process_messages
from webhooks.inbound.messages import MESSAGES

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

Process = Callable[..., list[Outcome]]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return write_workspace(root)


@pytest.fixture
def client(db_engine: Engine, workspace: Path) -> Iterator[TestClient]:
    # Wrapped as the server runs it: webhooks take the hot path in front of the FastAPI app.
    app = HotPaths(create_app(Settings(workspace=workspace), engine=db_engine))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def process(db_engine: Engine, workspace: Path) -> Process:
    """Process the given (default: every pending) message now, as the worker's job would."""
    contexts = Contexts(workspace)

    def run(*ids: str) -> list[Outcome]:
        wanted = list(ids)
        if not wanted:
            with db_engine.connect() as conn:
                query = select(MESSAGES.c.id).where(MESSAGES.c.status == "pending").order_by(MESSAGES.c.id)
                wanted = list(conn.execute(query).scalars())
        return process_messages(db_engine, wanted, contexts)

    return run
