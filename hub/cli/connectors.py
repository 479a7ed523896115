"""``hub connectors list | test``: the connectors hub.yaml configures."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
from sqlalchemy import Engine

from hub.cli.output import table
from hub.cli.runtime import database, info, load_settings
from hub.db.migrate import schema_status
from hub.sdk.contract import Health
from hub.settings import Settings
from hub.sync.catalog import connector_summaries
from hub.sync.plan import build_connector, secret_box
from hub.workspace import load_workspace

app = typer.Typer(help="The connectors configured in hub.yaml: list them, test their settings.", no_args_is_help=True)


@app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array instead of a table.")] = False,
) -> None:
    """List each connector with its type, crosswalk system, entities, mappings and schedules.

    \b
    Examples:
      hub connectors list
      hub connectors list --json
    """
    rows = connector_summaries(load_workspace(load_settings().workspace))
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        info("no connectors in hub.yaml yet (see docs/configuration.md, section connectors)")
        return
    lines = []
    for row in rows:
        kind = row["type"] if row["installed"] else f"{row['type']} (not installed)"
        for entity in row["entities"] or [{"entity": None, "mapping": None, "schedule": None}]:
            lines.append({"name": row["name"], "type": kind, "system": row["system"], **entity,
                          "schedule": entity["schedule"] or ("manual" if entity["entity"] else None)})
    typer.echo(table(lines, [("NAME", "name"), ("TYPE", "type"), ("SYSTEM", "system"), ("ENTITY", "entity"),
                             ("MAPPING", "mapping"), ("SCHEDULE", "schedule")]))


@app.command("test")
def test_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The connector's name in hub.yaml.")],
) -> None:
    """Check a connector's settings with one authenticated call to its system.

    Prints "ok: ..." and exits 0 when the system answers; prints the reason and
    exits 1 when it does not (wrong credentials, unreachable host, missing permission).

    \b
    Example:
      hub connectors test kingdee-main
    """
    settings = load_settings()
    workspace = load_workspace(settings.workspace)
    with database(settings) as engine:
        health = asyncio.run(_check(workspace, name, settings, _token_cache(engine)))
    if not health.ok:
        typer.echo(f"error: {name}: {health.message}", err=True)
        _details(health, err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {name}: {health.message}")
    _details(health, err=False)


async def _check(workspace: Any, name: str, settings: Settings, engine: Engine | None) -> Health:
    secrets = secret_box(settings.secret_key.get_secret_value() if settings.secret_key else None)
    connector = build_connector(workspace, name, engine=engine, secrets=secrets)
    try:
        return await connector.check()
    finally:
        await connector.aclose()


def _token_cache(engine: Engine) -> Engine | None:
    """The database, for the shared token cache, when it is ready; a test works without it."""
    try:
        return engine if schema_status(engine).ready else None
    except Exception:  # an unreachable database must not stop a connector test
        return None


def _details(health: Health, *, err: bool) -> None:
    for key, value in health.details.items():
        typer.echo(f"  {key}: {value}", err=err)
