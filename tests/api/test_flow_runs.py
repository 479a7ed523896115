"""/api/v1/flows and /api/v1/flow-runs: flows and their problems, runs page by page, retry and cancel by role."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.flows.helpers import FRAGILE, run_flows, start_cursor, store_order, write_flow

PATIENT = """
    name: patient
    trigger: {event: order.confirmed}
    steps:
      - id: pause
        kind: wait
        delay: 1h
"""

NOTIFY = """
    name: tell
    trigger: {event: order.confirmd}
    steps:
      - id: tell
        kind: notify
        connector: wecom-main
        action: message
"""


def _failed_run(engine: Engine, workspace: Path, number: str = "SO-1") -> str:
    if not (workspace / "flows" / "fragile.yaml").exists():
        write_flow(workspace, "fragile", FRAGILE)
        start_cursor(engine, workspace)
    store_order(engine, number)
    run = next(r for r in run_flows(engine, workspace) if r["status"] == "failed")
    return str(run["id"])


def _fix(workspace: Path) -> None:
    path = workspace / "flows" / "fragile.yaml"
    path.write_text(path.read_text().replace("record.no_such_field", "'fixed-' + record.number"))


# -- flows ----------------------------------------------------------------------------------------------


def test_flows_lists_summaries_and_every_problem(client: TestClient, viewer: dict[str, str], tmp_path: Path) -> None:
    write_flow(tmp_path, "fragile", FRAGILE)
    write_flow(tmp_path, "tell", NOTIFY)
    write_flow(tmp_path, "broken", "name: broken\n")

    response = client.get("/api/v1/flows", headers=viewer)

    assert response.status_code == 200, response.text
    body = response.json()
    assert [(f["name"], f["file"], [s["id"] for s in f["steps"]]) for f in body["items"]] == [
        ("fragile", "flows/fragile.yaml", ["first", "second"]), ("tell", "flows/tell.yaml", ["tell"])]
    assert body["items"][0]["trigger"] == {"events": ["order.confirmed"], "when": None}
    assert [(p["file"], p["line"], p["path"]) for p in body["problems"]] == [
        ("flows/broken.yaml", 1, "trigger"), ("flows/broken.yaml", 1, "steps"),
        ("flows/tell.yaml", 3, "trigger.event"), ("flows/tell.yaml", 7, "steps[0].connector")]
    assert body["warnings"] == []


def test_validate_checks_posted_text_and_what_it_names(client: TestClient, operator: dict[str, str],
                                                       viewer: dict[str, str]) -> None:
    bad = client.post("/api/v1/flows/validate", json={"text": textwrap.dedent(NOTIFY)}, headers=operator)
    good = client.post("/api/v1/flows/validate", json={"text": textwrap.dedent(FRAGILE)}, headers=operator)

    assert bad.status_code == 200, bad.text
    assert bad.json()["ok"] is False
    assert [(e["file"], e["line"], e["path"]) for e in bad.json()["errors"]] == [
        ("<text>", 3, "trigger.event"), ("<text>", 7, "steps[0].connector")]
    assert "did you mean 'order.confirmed'" in bad.json()["errors"][0]["message"]
    assert good.json()["ok"] is True
    assert good.json()["flow"]["name"] == "fragile"
    assert client.post("/api/v1/flows/validate", json={"text": "x"}, headers=viewer).status_code == 403


def test_validate_does_not_fill_variables_from_the_servers_environment(
    client: TestClient, operator: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_TEST_EVENT", "order.confirmed")
    text = textwrap.dedent(FRAGILE).replace("event: order.confirmed", 'event: "${HUB_TEST_EVENT}"')

    response = client.post("/api/v1/flows/validate", json={"text": text}, headers=operator)

    assert response.json()["ok"] is False
    assert [e["path"] for e in response.json()["errors"]] == ["trigger.event"]


# -- flow runs --------------------------------------------------------------------------------------------


def test_runs_come_newest_first_a_page_at_a_time_and_filter(
    client: TestClient, viewer: dict[str, str], db_engine: Engine, tmp_path: Path
) -> None:
    ids = [_failed_run(db_engine, tmp_path, f"SO-{n}") for n in range(3)]

    first = client.get("/api/v1/flow-runs", params={"limit": 2}, headers=viewer).json()
    second = client.get("/api/v1/flow-runs", params={"limit": 2, "before": first["next_before"]},
                        headers=viewer).json()

    assert [r["id"] for r in first["items"]] == ids[::-1][:2]
    assert ([r["id"] for r in second["items"]], second["next_before"]) == ([ids[0]], None)
    assert first["items"][0]["error"]["step"] == "second"
    failed = client.get("/api/v1/flow-runs", params={"status": "failed", "flow": "fragile"}, headers=viewer).json()
    assert len(failed["items"]) == 3
    record_id = first["items"][0]["record_id"]
    about = client.get("/api/v1/flow-runs", params={"record_id": record_id}, headers=viewer).json()
    assert [r["id"] for r in about["items"]] == [ids[2]]
    assert client.get("/api/v1/flow-runs", params={"status": "succeeded"}, headers=viewer).json()["items"] == []
    assert client.get("/api/v1/flow-runs", params={"status": "lost"}, headers=viewer).status_code == 422
    assert client.get("/api/v1/flow-runs", params={"stauts": "failed"}, headers=viewer).status_code == 422


def test_a_run_shows_each_step(client: TestClient, viewer: dict[str, str], db_engine: Engine,
                               tmp_path: Path) -> None:
    run_id = _failed_run(db_engine, tmp_path)

    body = client.get(f"/api/v1/flow-runs/{run_id}", headers=viewer).json()

    assert (body["id"], body["status"], body["step"]) == (run_id, "failed", "second")
    assert [(s["step"], s["status"], s["idempotency_key"]) for s in body["steps"]] == [
        ("first", "succeeded", f"{run_id}:first"), ("second", "failed", f"{run_id}:second")]
    assert "no_such_field" in body["steps"][1]["error"]
    assert body["steps"][0]["output"]["action"] == "created"
    missing = client.get("/api/v1/flow-runs/run_nope", headers=viewer)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")


def test_an_operator_retries_a_failed_run_which_then_succeeds(
    client: TestClient, operator: dict[str, str], viewer: dict[str, str], db_engine: Engine, tmp_path: Path
) -> None:
    run_id = _failed_run(db_engine, tmp_path)
    _fix(tmp_path)

    denied = client.post(f"/api/v1/flow-runs/{run_id}/retry", json={"from_step": None}, headers=viewer)
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "forbidden")

    response = client.post(f"/api/v1/flow-runs/{run_id}/retry", json={"from_step": None}, headers=operator)

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["step"], response.json()["error"]) == (
        "running", "second", None)
    [run] = run_flows(db_engine, tmp_path)
    assert run["status"] == "succeeded"
    assert run["outputs"]["second"]["record"]["code"] == "fixed-SO-1"

    again = client.post(f"/api/v1/flow-runs/{run_id}/retry", headers=operator)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "conflict")
    assert "is succeeded" in again.json()["error"]["message"]


def test_retry_from_a_step_the_flow_does_not_have_is_refused(
    client: TestClient, operator: dict[str, str], db_engine: Engine, tmp_path: Path
) -> None:
    run_id = _failed_run(db_engine, tmp_path)

    response = client.post(f"/api/v1/flow-runs/{run_id}/retry", json={"from_step": "third"}, headers=operator)

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"steps": ["first", "second"]}
    assert client.get(f"/api/v1/flow-runs/{run_id}", headers=operator).json()["status"] == "failed"
    first = client.post(f"/api/v1/flow-runs/{run_id}/retry", json={"from_step": "first"}, headers=operator)
    assert first.json()["step"] == "first"


def test_retry_when_the_flow_no_longer_loads_is_a_conflict(
    client: TestClient, operator: dict[str, str], db_engine: Engine, tmp_path: Path
) -> None:
    run_id = _failed_run(db_engine, tmp_path)
    (tmp_path / "flows" / "fragile.yaml").write_text("name: fragile\n")

    response = client.post(f"/api/v1/flow-runs/{run_id}/retry", headers=operator)

    assert (response.status_code, response.json()["error"]["code"]) == (409, "conflict")
    assert "flow fragile is not loaded" in response.json()["error"]["message"]


def test_an_operator_cancels_a_waiting_run(
    client: TestClient, operator: dict[str, str], viewer: dict[str, str], db_engine: Engine, tmp_path: Path
) -> None:
    write_flow(tmp_path, "patient", PATIENT)
    start_cursor(db_engine, tmp_path)
    store_order(db_engine, "SO-7")
    [run] = run_flows(db_engine, tmp_path)
    assert run["status"] == "waiting"

    assert client.post(f"/api/v1/flow-runs/{run['id']}/cancel", headers=viewer).status_code == 403
    response = client.post(f"/api/v1/flow-runs/{run['id']}/cancel", headers=operator)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert run_flows(db_engine, tmp_path)[0]["status"] == "cancelled"  # the queued wait does nothing now
    again = client.post(f"/api/v1/flow-runs/{run['id']}/cancel", headers=operator)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "conflict")


def test_preview_shows_what_a_flow_would_do_on_an_event_and_does_nothing(
    client: TestClient, viewer: dict[str, str], db_engine: Engine, tmp_path: Path
) -> None:
    write_flow(tmp_path, "fragile", FRAGILE)
    start_cursor(db_engine, tmp_path)
    order_id = store_order(db_engine, "SO-5")
    with db_engine.connect() as conn:
        event_id = conn.exec_driver_sql("SELECT id FROM events WHERE type = 'order.confirmed'").scalar_one()

    by_event = client.post("/api/v1/flows/fragile/preview", json={"event_id": event_id}, headers=viewer)
    by_record = client.post("/api/v1/flows/fragile/preview", json={"entity": "order", "record_id": order_id},
                            headers=viewer)

    assert by_event.status_code == 200, by_event.text
    report = by_event.json()
    assert report["trigger"] == {"starts": True}
    assert report["steps"][0] == {"id": "first", "kind": "record", "would": "run", "creates": "project",
                                  "record_id": None, "key": None, "fields": {"code": "SO-5"}}
    assert report["steps"][1]["would"] == "fail"  # the flow's bug, shown before any run hits it
    assert "no_such_field" in report["steps"][1]["why"]
    assert by_record.json()["steps"] == report["steps"]
    with db_engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM flow_runs").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM projects").scalar() == 0
    wrong = client.post("/api/v1/flows/fragile/preview", json={}, headers=viewer)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (422, "invalid_request")
