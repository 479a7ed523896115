"""The ``hub`` CLI under test: a runner bound to an isolated workspace and database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner, Result

from hub.cli.main import app


@dataclass
class Hub:
    workspace: Path
    database_url: str
    runner: CliRunner

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args))


WriteConfig = Callable[[str], Path]
