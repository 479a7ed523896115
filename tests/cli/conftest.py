"""Fixtures for the ``hub`` CLI: an isolated environment with a workspace and a SQLite database in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.hub_cli_harness import Hub, WriteConfig


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Hub:
    """Run ``hub ...`` against ``tmp_path/ws`` (created, empty) and ``tmp_path/hub.db``."""
    for name in list(os.environ):
        if name.startswith("HUB_"):
            monkeypatch.delenv(name)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    database_url = f"sqlite:///{tmp_path / 'hub.db'}"
    monkeypatch.setenv("HUB_WORKSPACE", str(workspace))
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)  # settings also read ./.env: keep the repository's out
    return Hub(workspace, database_url, CliRunner())


@pytest.fixture
def migrated(hub: Hub) -> Hub:
    result = hub("db", "upgrade")
    assert result.exit_code == 0, result.output
    return hub


@pytest.fixture
def write_config(hub: Hub) -> WriteConfig:
    def write(text: str) -> Path:
        path = hub.workspace / "hub.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write
