"""hub flows list | validate | runs | show | retry | cancel."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from hub.db.engine import create_db_engine
from tests.cli.hub_cli_harness import Hub
from tests.flows.helpers import FRAGILE, run_flows, start_cursor, store_order, write_flow

PATIENT = """
    name: patient
    trigger: {event: order.confirmed, when: record.total != "0"}
    steps:
      - id: pause
        kind: wait
        delay: 1h
"""


@pytest.fixture
def db(migrated: Hub) -> Iterator[Engine]:
    engine = create_db_engine(migrated.database_url)
    yield engine
    engine.dispose()


def _failed_run(hub: Hub, db: Engine) -> str:
    write_flow(hub.workspace, "fragile", FRAGILE)
    start_cursor(db, hub.workspace)
    store_order(db, "SO-1")
    [run] = run_flows(db, hub.workspace)
    assert run["status"] == "failed"
    return str(run["id"])


def test_list_shows_each_flow_and_names_broken_files(hub: Hub) -> None:
    write_flow(hub.workspace, "fragile", FRAGILE)
    write_flow(hub.workspace, "patient", PATIENT)
    write_flow(hub.workspace, "broken", "name: broken\n")

    result = hub("flows", "list")

    assert result.exit_code == 0, result.output
    assert [re.split(r"\s{2,}", line) for line in result.stdout.splitlines()] == [
        ["NAME", "TRIGGER", "STEPS", "ENABLED", "FILE"],
        ["fragile", "order.confirmed", "2", "yes", "flows/fragile.yaml"],
        ["patient", 'order.confirmed when record.total != "0"', "1", "yes", "flows/patient.yaml"],
    ]
    assert result.stderr.splitlines() == ["warning: 1 flow file failed to load (flows/broken.yaml)",
                                          "warning: 2 problems: see `hub flows validate`"]

    document = json.loads(hub("flows", "list", "--json").stdout)
    assert [f["name"] for f in document["items"]] == ["fragile", "patient"]
    assert {p["file"] for p in document["problems"]} == {"flows/broken.yaml"}


def test_validate_prints_each_problem_with_its_line_and_exits_1(hub: Hub) -> None:
    write_flow(hub.workspace, "fragile", FRAGILE)
    write_flow(hub.workspace, "tell", """
        name: tell
        trigger: {event: order.confirmed}
        steps:
          - id: tell
            kind: notify
            connector: wecom-main
            action: message
    """)

    result = hub("flows", "validate")

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "flows/tell.yaml:7: steps[0].connector: no connector named 'wecom-main' in hub.yaml; hub.yaml has no "
        "connectors",
        "error: 1 problem in 1 file; 2 flows loaded",
    ]


def test_validate_given_files_checks_only_those(hub: Hub) -> None:
    good = write_flow(hub.workspace, "fragile", FRAGILE)
    write_flow(hub.workspace, "broken", "name: broken\n")

    result = hub("flows", "validate", str(good))

    assert (result.exit_code, result.stdout) == (0, "ok: 1 flow\n")


def test_a_failed_run_is_listed_shown_and_retried_to_success(migrated: Hub, db: Engine) -> None:
    run_id = _failed_run(migrated, db)

    listed = migrated("flows", "runs", "--status", "failed")
    assert listed.exit_code == 0, listed.output
    [header, row] = listed.stdout.splitlines()
    assert header.split()[:5] == ["ID", "FLOW", "STATUS", "STEP", "RECORD"]
    assert row.split()[:4] == [run_id, "fragile", "failed", "second"]
    assert "no_such_field" in row
    assert migrated("flows", "runs", "--status", "succeeded").stderr == "no flow runs with status succeeded\n"

    shown = migrated("flows", "show", run_id)
    assert shown.exit_code == 0, shown.output
    assert "status    failed at step second" in shown.stdout
    assert f"first   record  succeeded  1         {run_id}:first" in shown.stdout
    assert "second  record  failed     " in shown.stdout
    assert f"{run_id}:second" in shown.stdout
    assert "second: error expression_failed: expression 'record.no_such_field' failed" in shown.stdout
    document = json.loads(migrated("flows", "show", run_id, "--json").stdout)
    assert [(s["step"], s["status"]) for s in document["steps"]] == [("first", "succeeded"), ("second", "failed")]

    path = migrated.workspace / "flows" / "fragile.yaml"
    path.write_text(path.read_text().replace("record.no_such_field", "'fixed-' + record.number"))
    retried = migrated("flows", "retry", run_id)
    assert retried.exit_code == 0, retried.output
    assert retried.stdout == f"run {run_id} (fragile) queued again at step second\n"

    [run] = run_flows(db, migrated.workspace)
    assert run["status"] == "succeeded"

    again = migrated("flows", "retry", run_id)
    assert again.exit_code == 1
    assert "is succeeded; only a failed or cancelled run can be resumed" in again.stderr


def test_retry_from_a_step_the_flow_does_not_have_names_its_steps(migrated: Hub, db: Engine) -> None:
    run_id = _failed_run(migrated, db)

    result = migrated("flows", "retry", run_id, "--from", "secnd")

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: flow fragile has no step 'secnd' (did you mean 'second'?)",
        "  steps: ['first', 'second']",
    ]
    assert migrated("flows", "show", run_id, "--json").exit_code == 0
    assert json.loads(migrated("flows", "show", run_id, "--json").stdout)["status"] == "failed"  # untouched

    from_first = migrated("flows", "retry", run_id, "--from", "first")
    assert from_first.stdout == f"run {run_id} (fragile) queued again at step first\n"


def test_cancel_stops_a_waiting_run_and_only_that(migrated: Hub, db: Engine) -> None:
    write_flow(migrated.workspace, "patient", PATIENT)
    start_cursor(db, migrated.workspace)
    store_order(db, "SO-2")
    [run] = run_flows(db, migrated.workspace)
    assert run["status"] == "waiting"

    result = migrated("flows", "cancel", run["id"])

    assert (result.exit_code, result.stdout) == (0, f"run {run['id']} (patient) cancelled at step pause\n")
    assert json.loads(migrated("flows", "runs", "--json").stdout)[0]["status"] == "cancelled"
    again = migrated("flows", "cancel", run["id"])
    assert again.exit_code == 1
    assert "only a running or waiting run can be cancelled" in again.stderr


def test_an_unknown_run_is_an_error(migrated: Hub) -> None:
    result = migrated("flows", "show", "run_nope")

    assert (result.exit_code, result.stderr) == (1, "error: no flow run run_nope\n")
