"""``hub remap NAME``: re-apply a changed mapping to the raw records already in the store."""

from __future__ import annotations

from typing import Annotated

import typer

from hub.cli.runtime import database, info, load_settings, require_current_schema
from hub.mapping.registry import load_registry
from hub.mapping.remap import RemapSummary, remap
from hub.workspace import load_workspace

SHOWN_CHANGES = 100  # lines of "updated ..." printed before "... and N more"


def remap_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The mapping's name (see `hub mappings list`).")],
    everything: Annotated[
        bool,
        typer.Option("--all", help="Re-map every record of the mapping, not only those mapped by another version."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Map and report what would change; write nothing.")
    ] = False,
) -> None:
    """Re-apply mapping NAME to the raw records stored for it, after the mapping file changed.

    Only records mapped by another version of the file are re-mapped (--all: every
    record of the mapping), 500 per transaction. A record whose canonical fields come
    out the same gets no new version and no event; one that changes gets a new version
    and an update event, as a sync would. Records the mapping now fails on are listed
    and left as they are. Prints counts: examined, updated, unchanged, failed.
    Exit code 0, or 1 when any record failed.

    \b
    Examples:
      hub remap kingdee-customer --dry-run
      hub remap kingdee-customer
      hub remap kingdee-sales-order --all
    """
    settings = load_settings()
    workspace = load_workspace(settings.workspace)
    entry = load_registry(workspace.root, partial=True).get(name)
    with database(settings) as engine:
        require_current_schema(engine)
        summary = remap(engine, entry.mapping, workspace.store_rules, everything=everything, dry_run=dry_run)
    _report(summary)
    if summary.failed:
        raise typer.Exit(1)


def _report(summary: RemapSummary) -> None:
    verb = "would update" if summary.dry_run else "updated"
    for change in summary.changes[:SHOWN_CHANGES]:
        fields = ", ".join(change.changed) or "no field of the record (its sources changed)"
        source = f"{change.system}/{change.object}/{change.external_id}"
        typer.echo(f"{verb} {source} ({change.record_id}): {fields}")
    if len(summary.changes) > SHOWN_CHANGES:
        typer.echo(f"... and {len(summary.changes) - SHOWN_CHANGES} more")
    for failure in summary.failures:
        typer.echo(f"failed {failure.system}/{failure.object}/{failure.external_id} ({failure.record_id}): "
                   f"{failure.message}")
    prefix = "dry run, nothing written: " if summary.dry_run else ""
    typer.echo(
        f"{prefix}{summary.mapping} ({summary.hash[:12]}): examined {summary.examined}, "
        f"{'would update' if summary.dry_run else 'updated'} {summary.updated}, unchanged {summary.unchanged}, "
        f"failed {summary.failed}"
    )
    if summary.examined == 0:
        info(f"nothing to re-map: every record of {summary.mapping} was mapped by this version (--all re-maps all)")
