"""``hub sync NAME`` (run a sync now, in the foreground) and ``hub sync-runs list`` (the run history)."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated, TextIO

import typer

from hub.cli.output import counts_text, table
from hub.cli.runtime import database, info, load_settings, require_current_schema
from hub.db.engine import read_only
from hub.sync.engine import Progress, SyncOutcome, SyncRequest
from hub.sync.jobs import run_in_foreground
from hub.sync.plan import entities_of
from hub.sync.runs import list_runs
from hub.sync.tables import RUN_STATUSES
from hub.workspace import load_workspace

EXIT_NEEDS_CONFIRMATION = 3

runs_app = typer.Typer(help="The history of sync runs, newest first.", no_args_is_help=True)


def sync_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The connector's name in hub.yaml.")],
    entity: Annotated[
        str | None, typer.Option("--entity", "-e", help="Sync only this entity [default: every entity, in order].")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Read everything, not only changes, and detect deleted records.")
    ] = False,
    confirm_deletions: Annotated[
        bool,
        typer.Option("--confirm-deletions",
                     help="With --full: delete the missing records even beyond the deletion guard."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print each run's summary as a JSON line.")] = False,
) -> None:
    """Sync a connector now, in this process, showing progress on stderr.

    Without --entity every entity of the connector is synced in hub.yaml's order (put
    customers before the orders that refer to them). A sync of the same connector and
    entity that is queued is taken over; one that is running elsewhere is an error.

    A full sync tombstones records the system no longer lists. When that would delete
    more than the deletion guard (sync.delete_guard in hub.yaml, default 20%) of the
    records, nothing is deleted and the command exits 3: check the numbers, then run
    it again with --confirm-deletions.

    Exit codes: 0 done, 1 failed, 2 configuration error, 3 deletions need confirmation.

    \b
    Examples:
      hub sync kingdee-main
      hub sync kingdee-main --entity order
      hub sync kingdee-main --entity customer --full
      hub sync kingdee-main --entity customer --full --confirm-deletions
    """
    if confirm_deletions and not full:
        raise typer.BadParameter("only a full sync deletes: add --full", param_hint="--confirm-deletions")
    settings = load_settings()
    workspace = load_workspace(settings.workspace)
    entities = entities_of(workspace, name, entity)
    needs_confirmation = False
    with database(settings) as engine:
        require_current_schema(engine)
        for one in entities:
            request = SyncRequest(name, one, full=full, confirm_deletions=confirm_deletions)
            printer = ProgressPrinter(sys.stderr)
            try:
                outcome = asyncio.run(run_in_foreground(engine, workspace, request, settings=settings,
                                                        progress=printer))
            finally:
                printer.close()
            _summary(outcome, as_json=as_json)
            needs_confirmation = needs_confirmation or outcome.status == "needs_confirmation"
    if needs_confirmation:
        raise typer.Exit(EXIT_NEEDS_CONFIRMATION)


class ProgressPrinter:
    """Progress on stderr: one line rewritten in place on a terminal, a line per page otherwise (logs, CI)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._width = 0

    def __call__(self, progress: Progress) -> None:
        if progress.phase == "done":
            return
        mode = "full" if progress.full else "incremental"
        action = "deleting missing records" if progress.phase == "deleting" else f"page {progress.pages}"
        line = f"{progress.connector}/{progress.entity} ({mode}) {action}: {counts_text(progress.counts.as_dict())}"
        if self.tty:
            self.stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()


def _summary(outcome: SyncOutcome, *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(outcome.as_json(), ensure_ascii=False))
        return
    counts = outcome.counts.as_dict()
    typer.echo(f"{outcome.connector}/{outcome.entity}: {outcome.status} in {outcome.duration_seconds:.1f}s, "
               f"{outcome.pages} page(s), {counts_text(counts)} (run {outcome.run_id})")
    if counts["quarantined"]:
        info(f"  {counts['quarantined']} record(s) quarantined: hub quarantine list --connector {outcome.connector}")
    details = outcome.details or {}
    if outcome.status == "needs_confirmation" and "message" in details:
        info(f"  {details['message']}")
    elif isinstance(details.get("deletions"), dict) and "skipped" in details["deletions"]:
        info(f"  {details['deletions']['skipped']}")


@runs_app.command("list")
def list_runs_command(
    connector: Annotated[str | None, typer.Option(help="Only this connector's runs.")] = None,
    entity: Annotated[str | None, typer.Option(help="Only runs of this entity.")] = None,
    status: Annotated[
        str | None, typer.Option(help=f"Only runs with this status: {', '.join(RUN_STATUSES)}.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many runs.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array instead of a table.")] = False,
) -> None:
    """List sync runs, newest first, with their counts, duration and error.

    \b
    Examples:
      hub sync-runs list
      hub sync-runs list --connector kingdee-main --status failed
    """
    if status is not None and status not in RUN_STATUSES:
        raise typer.BadParameter(f"one of {', '.join(RUN_STATUSES)}", param_hint="--status")
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with read_only(engine) as conn:
            runs, _next = list_runs(conn, connector=connector, entity=entity, status=status, limit=limit)
    if as_json:
        typer.echo(json.dumps(runs, ensure_ascii=False, indent=2))
        return
    if not runs:
        info("no sync runs yet: run one with `hub sync NAME`")
        return
    rows = [
        {**run, **run["counts"], "duration": f"{run['duration_seconds']:.1f}s" if run["duration_seconds"] else None,
         "error": (run["error"] or "")[:60]}
        for run in runs
    ]
    typer.echo(table(rows, [
        ("ID", "id"), ("CONNECTOR", "connector"), ("ENTITY", "entity"), ("MODE", "mode"), ("STATUS", "status"),
        ("STARTED", "started_at"), ("DURATION", "duration"), ("READ", "read"), ("CREATED", "created"),
        ("UPDATED", "updated"), ("UNCHANGED", "unchanged"), ("QUARANTINED", "quarantined"), ("DELETED", "deleted"),
        ("ERROR", "error"),
    ]))
