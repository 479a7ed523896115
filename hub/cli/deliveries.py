"""``hub deliveries list | show | replay | purge``: outbound webhook deliveries and their attempts."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from hub.cli.runtime import database, info, load_settings, purge_older_than, require_current_schema
from hub.db.types import utcnow
from hub.errors import InvalidRequestError
from webhooks.outbound.deliveries import get_delivery, list_deliveries, purge, replay, replay_all

app = typer.Typer(
    help="Outbound webhook deliveries: list them, see every attempt, replay (same webhook-id), clean up.",
    no_args_is_help=True,
)


@app.command("list")
def list_command(
    status: Annotated[str | None, typer.Option(help="pending, succeeded, dead or cancelled.")] = None,
    subscription: Annotated[str | None, typer.Option(help="Only this subscription's (name or id).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array instead of a table.")] = False,
) -> None:
    """List deliveries, newest first.

    \b
    Examples:
      hub deliveries list --status dead
      hub deliveries list --subscription mes --limit 10
    """
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.connect() as conn:
            rows = list_deliveries(conn, status=status, subscription=subscription, limit=limit)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        info("no deliveries" + (f" with status {status}" if status else ""))
        return
    typer.echo(_table(rows))


@app.command("show")
def show_command(delivery_id: Annotated[str, typer.Argument(metavar="ID", help="A delivery id (dlv_...).")]) -> None:
    """Show one delivery as JSON: its body and every attempt (status, latency, response, error)."""
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.connect() as conn:
            document = get_delivery(conn, delivery_id)
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


@app.command("replay")
def replay_command(
    ids: Annotated[list[str] | None, typer.Argument(metavar="ID...", help="Deliveries to send again.")] = None,
    dead: Annotated[bool, typer.Option("--dead", help="Replay every dead delivery.")] = False,
    status: Annotated[str | None, typer.Option(help="Replay every delivery in this status (e.g. cancelled).")] = None,
    subscription: Annotated[str | None, typer.Option(help="With --dead/--status: only this subscription's.")] = None,
) -> None:
    """Send deliveries again with the same webhook-id (receivers that saw one already drop it).

    \b
    Examples:
      hub deliveries replay dlv_01J9Z8...
      hub deliveries replay --dead
      hub deliveries replay --status cancelled --subscription mes
    """
    if bool(ids) == bool(dead or status):
        raise InvalidRequestError("give delivery ids, or --dead / --status (not both)")
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            if ids:
                replayed = replay(conn, ids, now=utcnow())
            else:
                replayed = replay_all(conn, status=status or "dead", subscription=subscription, now=utcnow())
    typer.echo(f"queued {len(replayed)} deliver{'y' if len(replayed) == 1 else 'ies'} again")


@app.command("purge")
def purge_command(
    older_than: Annotated[str, typer.Option("--older-than", help="Age, e.g. 30d, 12h.")] = "30d",
) -> None:
    """Retention: delete attempts older than the age and the bodies of deliveries that succeeded before it.

    Deliveries stay listed (status, webhook-id, last outcome); a replayed one gets its
    body back from its event.
    """
    purged = purge_older_than(older_than, lambda conn, cutoff: purge(conn, before=cutoff))
    typer.echo(f"removed {purged.attempts} attempts and {purged.bodies} delivered bodies older than {older_than}")


_COLUMNS = (("ID", "id"), ("SUBSCRIPTION", "subscription"), ("EVENT", "event_type"), ("STATUS", "status"),
            ("ATTEMPTS", "attempts"), ("LAST", "last"), ("CREATED", "created_at"))


def _table(rows: list[dict[str, Any]]) -> str:
    shown = [{**r, "last": r["last_status_code"] or (r["last_error"] or "-")[:40]} for r in rows]
    cells = [[title for title, _ in _COLUMNS]] + [[str(r[key]) for _, key in _COLUMNS] for r in shown]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells)
