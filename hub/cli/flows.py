"""``hub flows list | validate | runs | show | retry | cancel``: the workspace's flows and their runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from hub.cli.output import table
from hub.cli.runtime import database, info, load_settings, purge_older_than, require_current_schema
from hub.db.engine import read_only
from hub.db.types import utcnow
from hub.flows.checks import check_flows, retry_run
from hub.flows.preview import event_for, event_of_record, preview_flow
from hub.flows.registry import load_flows
from hub.flows.runs import cancel_run, list_runs, load_run, purge_runs, run_json, run_steps
from hub.mapping.registry import load_registry
from hub.workspace.loader import load_workspace

app = typer.Typer(
    help=(
        "Flows (<workspace>/flows/*.yaml): list and check them, look at their runs, "
        "retry a failed run or cancel one that is running or waiting."
    ),
    no_args_is_help=True,
)

RUN_STATUSES = ("running", "waiting", "succeeded", "failed", "cancelled")


@app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: {items, problems} as the API does.")] = False,
) -> None:
    """List the loaded flows: name, trigger, steps, enabled, file.

    Files that fail to load, and problems in what the flows name, are noted on stderr
    (details: hub flows validate).

    \b
    Examples:
      hub flows list
      hub flows list --json | jq '.items[].name'
    """
    checked = check_flows(load_settings().workspace)
    flows = [checked.registry.flows[name] for name in sorted(checked.registry.flows)]
    if as_json:
        document = {"items": [f.summary() for f in flows], "problems": [p.as_detail() for p in checked.problems],
                    "warnings": [p.as_detail() for p in checked.warnings]}
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    if flows:
        rows = [{"name": f.name, "trigger": _trigger(f.summary()["trigger"]), "steps": len(f.steps),
                 "enabled": "yes" if f.enabled else "no", "file": f.file} for f in flows]
        typer.echo(table(rows, (("NAME", "name"), ("TRIGGER", "trigger"), ("STEPS", "steps"),
                                ("ENABLED", "enabled"), ("FILE", "file"))))
    else:
        info("no flows: add YAML files to the workspace's flows/ folder")
    unloaded = sorted({p.file for p in checked.registry.problems})
    if unloaded:
        info(f"warning: {_plural(len(unloaded), 'flow file')} failed to load ({', '.join(unloaded)})")
    if checked.problems:
        info(f"warning: {_plural(len(checked.problems), 'problem')}: see `hub flows validate`")


@app.command("validate")
def validate_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(metavar="FILE", help="Flow files to check [default: every file in <workspace>/flows/]."),
    ] = None,
) -> None:
    """Check flow files and what they name, printing every error as file:line: path: message.

    Besides each file's own errors: the trigger's event types, and each step's
    connector and action (hub.yaml and the connector type), mapping (the loaded
    mappings; its entity must be the store entity) are checked. A webhook step naming
    a subscription hub.yaml does not declare is a warning (stderr): it may have been
    created through the API.

    Exit code 0 when every flow is valid ("ok: N flows"), 1 when any is not.

    \b
    Examples:
      hub flows validate
      hub flows validate flows/order-to-production.yaml
    """
    checked = check_flows(load_settings().workspace, files or None)
    for warning in checked.warnings:
        info(f"warning: {warning}")
    for problem in checked.problems:
        typer.echo(str(problem))
    flows = _plural(len(checked.registry.flows), "flow")
    if checked.problems:
        broken = len({p.file for p in checked.problems})
        typer.echo(f"error: {_plural(len(checked.problems), 'problem')} in {_plural(broken, 'file')}; "
                   f"{flows} loaded")
        raise typer.Exit(1)
    typer.echo(f"ok: {flows}")


@app.command("runs")
def runs_command(
    flow: Annotated[str | None, typer.Option(help="Only this flow's runs.")] = None,
    status: Annotated[str | None, typer.Option(help=f"Only runs in this status: {', '.join(RUN_STATUSES)}.")] = None,
    record: Annotated[str | None, typer.Option(help="Only runs about this record id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array instead of a table.")] = False,
) -> None:
    """List flow runs, newest first: flow, status, the step it is at (or failed at), the record.

    \b
    Examples:
      hub flows runs --status failed
      hub flows runs --flow order-to-production --limit 10
    """
    if status is not None and status not in RUN_STATUSES:
        raise typer.BadParameter(f"one of {', '.join(RUN_STATUSES)}", param_hint="--status")
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with read_only(engine) as conn:
            runs, _next = list_runs(conn, flow=flow, status=status, record_id=record, limit=limit)
    if as_json:
        typer.echo(json.dumps(runs, ensure_ascii=False, indent=2))
        return
    if not runs:
        info("no flow runs" + (f" with status {status}" if status else ""))
        return
    rows = [{**r, "record": f"{r['entity']} {r['record_id']}" if r["record_id"] else None,
             "error": ((r["error"] or {}).get("message") or "")[:60]} for r in runs]
    typer.echo(table(rows, (("ID", "id"), ("FLOW", "flow"), ("STATUS", "status"), ("STEP", "step"),
                            ("RECORD", "record"), ("CREATED", "created_at"), ("ERROR", "error"))))


@app.command("show")
def show_command(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="A flow run id (run_...).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the run and its steps as JSON (as the API).")] = False,
) -> None:
    """Show a run and each of its steps: status, attempts, idempotency key, output, error.

    \b
    Examples:
      hub flows show run_01J9Z8...
      hub flows show run_01J9Z8... --json | jq '.steps[] | select(.status == "failed")'
    """
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with read_only(engine) as conn:
            document = {**run_json(load_run(conn, run_id)), "steps": run_steps(conn, run_id)}
    if as_json:
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    typer.echo(_run_text(document))


@app.command("preview")
def preview_command(
    name: Annotated[str, typer.Argument(metavar="FLOW", help="The flow's name.")],
    event: Annotated[str | None, typer.Option("--event", help="An event id (evt_...) to run the flow on.")] = None,
    record: Annotated[str | None, typer.Option(
        "--record", metavar="ENTITY:ID", help="Or a record as it is now, e.g. order:ord_...")] = None,
    event_type: Annotated[str | None, typer.Option(
        "--type", help="With --record: the event type to pretend happened (default: the trigger's first).")] = None,
) -> None:
    """Dry-run a flow on one event: what each step would do, with nothing pushed, sent or written.

    Prints JSON: whether the trigger starts a run, then per step whether it would run or be
    skipped, the items of a for_each, and the values it would send (a push's vendor record
    after the reverse mapping, a notice as the connector takes it, a record step's fields).
    A value that needs an earlier step's output shows as unknown.

    \b
    Examples:
      hub flows preview order-to-production --event evt_06H1...
      hub flows preview order-to-production --record order:ord_06H1... --type order.confirmed
    """
    if (event is None) == (record is None):
        raise typer.BadParameter("give --event ID or --record ENTITY:ID (one of them)")
    settings = load_settings()
    workspace = load_workspace(settings.workspace)
    flow = load_flows(settings.workspace).get(name)
    mappings = load_registry(settings.workspace, partial=True)
    with database(settings) as engine:
        require_current_schema(engine)
        with read_only(engine) as conn:
            if event is not None:
                document = event_for(conn, event)
            else:
                entity, _, record_id = str(record).partition(":")
                if not record_id:
                    raise typer.BadParameter("ENTITY:ID, e.g. order:ord_06H1...", param_hint="--record")
                document = event_of_record(conn, entity, record_id, event_type or flow.trigger.events[0])
            report = preview_flow(conn, flow, workspace, mappings, document)
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))


@app.command("retry")
def retry_command(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="A failed or cancelled flow run.")],
    from_step: Annotated[
        str | None, typer.Option("--from", metavar="STEP",
                                 help="Resume at this step of the current flow file [default: where it stopped].")
    ] = None,
) -> None:
    """Resume a failed (or cancelled) run, with the flow file as it is now.

    The steps before the resumed one are not done again; each step keeps its
    idempotency key, so a connector that saw a step's push already does not do it twice.
    A worker (hub serve or hub worker) runs the queued step.

    \b
    Examples:
      hub flows retry run_01J9Z8...
      hub flows retry run_01J9Z8... --from notify-workshop
    """
    settings = load_settings()
    registry = load_flows(settings.workspace)
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            run = retry_run(conn, registry, run_id, from_step=from_step, now=utcnow())
    typer.echo(f"run {run['id']} ({run['flow']}) queued again at step {run['step']}")


@app.command("cancel")
def cancel_command(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="A running or waiting flow run.")],
) -> None:
    """Cancel a running or waiting run: its next step does not run (one already running finishes).

    A cancelled run can be resumed later with hub flows retry.
    """
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            run = cancel_run(conn, run_id, now=utcnow())
    typer.echo(f"run {run['id']} ({run['flow']}) cancelled at step {run['step']}")


@app.command("purge")
def purge_command(
    older_than: Annotated[str, typer.Option("--older-than", help="Age, e.g. 90d, 12h.")] = "90d",
) -> None:
    """Retention: delete runs that succeeded or were cancelled before the age, with their steps.

    Failed runs are kept until they are resumed or cancelled; running and waiting runs are
    never touched. What the runs did stays in the records, events and deliveries they made.

    \b
    Examples:
      hub flows purge --older-than 90d
    """
    removed = purge_older_than(older_than, lambda conn, cutoff: purge_runs(conn, before=cutoff))
    typer.echo(f"deleted {_plural(removed, 'finished run')} older than {older_than}")


def _trigger(trigger: dict[str, Any]) -> str:
    events = ", ".join(trigger["events"])
    return f"{events} when {trigger['when']}" if trigger["when"] else events


def _run_text(run: dict[str, Any]) -> str:
    event = run["event"] or {}
    status = run["status"] + (f" at step {run['step']}" if run["status"] != "succeeded" and run["step"] else "")
    lines = [f"run       {run['id']}", f"flow      {run['flow']} (file version {run['flow_hash']})",
             f"status    {status}"]
    if event:
        lines.append(f"event     {event.get('type')} {event.get('id')}")
    if run["record_id"]:
        lines.append(f"record    {run['entity']} {run['record_id']}")
    lines.append(f"created   {run['created_at']}")
    if run["finished_at"]:
        lines.append(f"finished  {run['finished_at']}")
    if run["error"]:
        error = run["error"]
        lines.append(f"error     {error.get('code')}: {error.get('message')}")
    steps = run["steps"]
    if not steps:
        return "\n".join(lines)
    lines += ["", table(steps, (("STEP", "step"), ("KIND", "kind"), ("STATUS", "status"), ("ATTEMPTS", "attempts"),
                                ("IDEMPOTENCY KEY", "idempotency_key"), ("FINISHED", "finished_at"))), ""]
    for step in steps:
        if step["output"] is not None:
            lines.append(f"{step['step']}: output {json.dumps(step['output'], ensure_ascii=False, default=str)}")
        if step["error"]:
            lines.append(f"{step['step']}: error {step['error']}")
    return "\n".join(lines)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"

