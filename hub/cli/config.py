"""``hub config check``: validate the workspace's hub.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.cli.runtime import load_settings
from hub.workspace import load_workspace

app = typer.Typer(help="Check the workspace configuration (hub.yaml).", no_args_is_help=True)


@app.command("check")
def check_command(
    workspace: Annotated[
        Path | None,
        typer.Argument(help="Workspace folder [default: HUB_WORKSPACE or the current folder]."),
    ] = None,
) -> None:
    """Load hub.yaml and report every error as file:line: path: reason (exit code 2), or OK.

    ${NAME} references are resolved from the environment and the workspace's .env,
    so a missing variable is reported too.

    \b
    Examples:
      hub config check
      hub config check ./myhub
    """
    root = workspace if workspace is not None else load_settings().workspace
    loaded = load_workspace(root)
    if not loaded.config_file.exists():
        typer.echo(f"OK: {loaded.root} has no hub.yaml; every default applies")
        return
    config = loaded.config
    counts = [
        f"{len(config.connectors)} connector(s)",
        f"{len(config.sources)} source(s)",
        f"{len(config.subscriptions)} subscription(s)",
    ]
    typer.echo(f"OK: {loaded.config_file} ({', '.join(counts)})")
