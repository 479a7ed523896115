"""Fixtures for the mapping tools: a shipped folder and a workspace, both in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mapping_tools.helpers import use_shipped_dir


@pytest.fixture
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_shipped_dir(monkeypatch, tmp_path / "shipped")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "mappings").mkdir(parents=True)
    return root
