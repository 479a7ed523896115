"""`hub flows preview`: a dry run of a flow on one event shows what each step would do, and does nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from hub.cli.main import app
from hub.flows.preview import event_of_record, preview_flow
from hub.flows.registry import load_flows
from hub.mapping.registry import load_registry
from hub.store import Store
from hub.workspace.loader import load_workspace
from tests.flows.test_order_to_production import IN_HOUSE
from tests.flows.test_order_to_production import prepared as order_prepared


def test_a_preview_shows_the_vendor_records_a_run_would_push_and_pushes_none(
    db_engine: Engine, tmp_path: Path
) -> None:
    sys, number, lines = order_prepared(tmp_path, db_engine)
    order = Store(db_engine).find("order", "kingdee", number)
    assert order is not None
    flow = load_flows(sys.root).get("order-to-production")

    with db_engine.connect() as conn:
        event = event_of_record(conn, "order", order["id"], "order.confirmed")
        report = preview_flow(conn, flow, load_workspace(sys.root), load_registry(sys.root), event)

    assert report["trigger"] == {"starts": True}
    [push, notify] = report["steps"]
    in_house = [line for line in lines if line["FMaterialId.FNumber"] in IN_HOUSE]
    assert push["would"] == "run"
    assert push["left_out"] == len(lines) - len(in_house)  # bought lines: no production order
    assert [i["sends"]["FTreeEntity"][0]["FMaterialId"]["FNumber"] for i in push["items"]] == [
        line["FMaterialId.FNumber"] for line in in_house]
    assert {i["sends"]["FTreeEntity"][0]["FSaleOrderNo"] for i in push["items"]} == {number}  # via the crosswalk
    assert notify["would"] == "unknown"  # it needs the production orders Kingdee has not numbered yet
    assert "production_orders" in notify["why"]
    assert sys.kingdee.documents("PRD_MO") == []
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM flow_runs")).scalar() == 0


def test_the_cli_previews_a_record_as_if_the_event_happened(
    db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sys, number, _ = order_prepared(tmp_path, db_engine)
    order = Store(db_engine).find("order", "kingdee", number)
    assert order is not None
    for name in list(os.environ):
        if name.startswith("HUB_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HUB_WORKSPACE", str(sys.root))
    monkeypatch.setenv("HUB_DATABASE_URL", str(db_engine.url))
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(app, ["flows", "preview", "order-to-production", "--record", f"order:{order['id']}"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["event"]["type"] == "order.confirmed"  # the trigger's event by default
    assert report["steps"][0]["would"] == "run"
    both = CliRunner().invoke(app, ["flows", "preview", "order-to-production"])
    assert both.exit_code == 2
    assert "--event ID or --record ENTITY:ID" in both.output
