"""``hub inbound list | replay``: received webhooks (and vendor callbacks), and processing them again."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from hub.cli.output import table
from hub.cli.runtime import database, info, load_settings, purge_older_than, require_current_schema
from hub.db.engine import read_only
from webhooks.inbound.context import Contexts
from webhooks.inbound.messages import list_messages, message_ids
from webhooks.inbound.processing import replay_messages
from webhooks.inbound.retention import purge_messages
from webhooks.inbound.tables import QUARANTINED, STATUSES

app = typer.Typer(
    help="Inbound messages: every webhook the hub accepted (POST /webhooks/in/<source>), stored raw before it "
         "was answered, then mapped into the store by a worker. Those that failed are quarantined: fix the "
         "mapping (or hub.yaml), then replay them.",
    no_args_is_help=True,
)


@app.command("list")
def list_command(
    status: Annotated[str, typer.Option(help=f"{', '.join(STATUSES)}, or all.")] = "all",
    source: Annotated[str | None, typer.Option(help="Only this source's messages.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many messages.")] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array (with headers, errors and results) instead of a table.")
    ] = False,
) -> None:
    """List inbound messages, newest first: id, source, status, and why a quarantined one failed.

    \b
    Examples:
      hub inbound list --status quarantined
      hub inbound list --source shop --limit 10
      hub inbound list --json | jq '.[0].error'
    """
    if status != "all" and status not in STATUSES:
        raise typer.BadParameter(f"one of {', '.join(STATUSES)} or all", param_hint="--status")
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with read_only(engine) as conn:
            items, _next = list_messages(conn, status=None if status == "all" else status, source=source,
                                         limit=limit)
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    if not items:
        info("no inbound messages" + (f" with status {status}" if status != "all" else ""))
        return
    rows = [{**m, "reason": ((m.get("error") or {}).get("message") or "")[:80]} for m in items]
    typer.echo(table(rows, [("ID", "id"), ("STATUS", "status"), ("SOURCE", "source"), ("KEY", "dedupe_key"),
                            ("RECEIVED", "received_at"), ("TRIES", "attempts"), ("REASON", "reason")]))


@app.command("replay")
def replay_command(
    ids: Annotated[list[str] | None, typer.Argument(metavar="ID...", help="Messages to process again.")] = None,
    quarantined: Annotated[bool, typer.Option("--quarantined", help="Replay every quarantined message.")] = False,
    source: Annotated[str | None, typer.Option(help="With --quarantined: only this source's messages.")] = None,
) -> None:
    """Process messages again now, in this process, with the current hub.yaml and mappings.

    Any message can be replayed: a quarantined one after a fix, a processed one to
    store it again (unchanged records make no new version or event), a pending one
    that no worker has taken. Exit code 1 when any is quarantined again.

    \b
    Examples:
      hub inbound replay in_06H1...
      hub inbound replay --quarantined --source shop
    """
    if bool(ids) == quarantined:
        raise typer.BadParameter("give message ids, or --quarantined (not both)")
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        if quarantined:
            with read_only(engine) as conn:
                ids = message_ids(conn, status=QUARANTINED, source=source)
        outcomes = replay_messages(engine, ids or [], Contexts(settings.workspace))
    failed = 0
    for outcome in outcomes:
        if outcome.ok:
            records = (outcome.result or {}).get("records", [])
            typer.echo(f"processed {outcome.id}: " + (", ".join(f"{r['entity']} {r['id']} {r['action']}"
                                                                 for r in records) or "no records"))
        else:
            failed += 1
            typer.echo(f"failed    {outcome.id}: {(outcome.error or {}).get('message', 'failed')}")
    typer.echo(f"{len(outcomes) - failed} processed, {failed} quarantined")
    if failed:
        raise typer.Exit(1)


@app.command("purge")
def purge_command(
    older_than: Annotated[str, typer.Option("--older-than", help="Age, e.g. 30d, 12h.")] = "30d",
) -> None:
    """Retention: clear the bodies of processed messages older than the age and delete old rejected requests.

    Processed messages stay listed (id, status, the records they wrote) so a sender's late
    retry is still answered as a duplicate; pending and quarantined messages are never
    touched. Run it from cron.

    \b
    Examples:
      hub inbound purge --older-than 30d
    """
    purged = purge_older_than(older_than, lambda conn, cutoff: purge_messages(conn, before=cutoff))
    typer.echo(f"cleared {purged.emptied} processed message bodies and deleted {purged.deleted} rejected "
               f"requests older than {older_than}")
