"""``hub quarantine list | retry | discard``: records a sync could not store."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer

from hub.cli.output import table
from hub.cli.runtime import database, info, load_settings, require_current_schema
from hub.db.engine import read_only
from hub.sync.quarantine import discard, list_entries, pending_ids
from hub.sync.retry import retry_entries
from hub.sync.tables import QUARANTINE_STATUSES
from hub.workspace import load_workspace

app = typer.Typer(
    help="Records a sync could not store (a mapping or the canonical model refused them), kept with the raw "
         "record and the reason. Fix the mapping, then retry them; or discard them.",
    no_args_is_help=True,
)


def _actor() -> str:
    return f"cli:{os.environ.get('USER') or os.environ.get('USERNAME') or 'unknown'}"


@app.command("list")
def list_command(
    connector: Annotated[str | None, typer.Option(help="Only this connector's records.")] = None,
    status: Annotated[
        str, typer.Option(help=f"{', '.join(QUARANTINE_STATUSES)}, or all.")
    ] = "pending",
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many records.")] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array (with the raw records) instead of a table.")
    ] = False,
) -> None:
    """List quarantined records, newest first: id, where they came from, and why they failed.

    \b
    Examples:
      hub quarantine list
      hub quarantine list --connector kingdee-main --status all
      hub quarantine list --json | jq '.[0].raw'
    """
    if status != "all" and status not in QUARANTINE_STATUSES:
        raise typer.BadParameter(f"one of {', '.join(QUARANTINE_STATUSES)} or all", param_hint="--status")
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with read_only(engine) as conn:
            entries, _next = list_entries(conn, connector=connector, status=None if status == "all" else status,
                                          limit=limit)
    if as_json:
        typer.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    if not entries:
        info("no quarantined records" + (f" with status {status}" if status != "all" else ""))
        return
    rows = [{**e, "source": f"{e['connector']}/{e['stream']}", "field": e["error"].get("field"),
             "reason": (e["error"].get("reason") or e["error"].get("message") or "")[:80]} for e in entries]
    typer.echo(table(rows, [("ID", "id"), ("STATUS", "status"), ("SOURCE", "source"), ("EXTERNAL ID", "external_id"),
                            ("MAPPING", "mapping"), ("FIELD", "field"), ("SEEN", "occurrences"),
                            ("REASON", "reason")]))


@app.command("retry")
def retry_command(
    ids: Annotated[list[str] | None, typer.Argument(metavar="ID...", help="Quarantined records to retry.")] = None,
    retry_all: Annotated[bool, typer.Option("--all", help="Retry every pending record.")] = False,
    connector: Annotated[str | None, typer.Option(help="With --all: only this connector's records.")] = None,
) -> None:
    """Map the stored raw records again with the current mappings and store them.

    Records that now land are marked retried; the others stay pending with the new
    reason. Exit code 1 when any record failed again.

    \b
    Examples:
      hub quarantine retry qr_01JD...
      hub quarantine retry --all --connector kingdee-main
    """
    if bool(ids) == retry_all:
        raise typer.BadParameter("give quarantined record ids, or --all (not both)")
    settings = load_settings()
    workspace = load_workspace(settings.workspace)
    with database(settings) as engine:
        require_current_schema(engine)
        if retry_all:
            with read_only(engine) as conn:
                ids = pending_ids(conn, connector=connector)
        outcomes = retry_entries(engine, workspace, ids or [], actor=_actor())
    failed = 0
    for outcome in outcomes:
        if outcome.ok:
            typer.echo(f"retried {outcome.id}: {outcome.action}")
        else:
            failed += 1
            message = (outcome.error or {}).get("message", "failed")
            typer.echo(f"failed  {outcome.id}: {message}")
    typer.echo(f"{len(outcomes) - failed} retried, {failed} still pending")
    if failed:
        raise typer.Exit(1)


@app.command("discard")
def discard_command(
    ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Quarantined records to give up on.")],
) -> None:
    """Give up on quarantined records (they stay listed as discarded).

    \b
    Example:
      hub quarantine discard qr_01JD... qr_01JE...
    """
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        for entry_id in ids:
            with engine.begin() as conn:
                entry = discard(conn, entry_id, actor=_actor())
            typer.echo(f"discarded {entry['id']}")
