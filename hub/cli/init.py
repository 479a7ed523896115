"""``hub init [DIR]``: scaffold a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hub.workspace.scaffold import scaffold_workspace


def init_command(
    directory: Annotated[
        Path, typer.Argument(help="Folder to create the workspace in (created if missing).", show_default=True)
    ] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Replace an existing hub.yaml with the template.")] = False,
) -> None:
    """Scaffold a workspace: hub.yaml, mappings/, flows/, .gitignore and .env.example.

    hub.yaml comes with every section and commented examples (a Kingdee connector
    pointing at a simulator, an inbound source, a subscription, the retry schedule and
    the identity rules); it loads as it is. An existing hub.yaml is left alone unless
    you pass --force; other files that exist are kept, and .gitignore only gets the
    lines it lacks.

    \b
    Examples:
      hub init myhub
      hub init . --force
    """
    result = scaffold_workspace(directory, force=force)
    for name in result.written:
        typer.echo(f"created  {directory / name}")
    for name in result.replaced:
        typer.echo(f"replaced {directory / name}")
    for name in result.extended:
        typer.echo(f"updated  {directory / name} (added the hub's lines)")
    for name in result.kept:
        typer.echo(f"kept     {directory / name} (already there)")
    steps = [] if directory.resolve() == Path.cwd().resolve() else [f"cd {directory}"]
    steps += [
        "cp .env.example .env          # then fill in HUB_SECRET_KEY and the secrets hub.yaml refers to",
        "hub config check",
        "hub db upgrade",
        "hub keys create --role admin --name me",
        "hub serve",
    ]
    typer.echo("\nnext steps:\n" + "\n".join(f"  {step}" for step in steps))
