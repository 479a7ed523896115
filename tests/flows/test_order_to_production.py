"""order-to-production and production-progress, end to end against the Kingdee and DingTalk simulators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from hub.store import Store
from tests.flows.helpers import run_flows, steps_of
from tests.flows.simulators import Systems, systems

IN_HOUSE = {"01.01.0001", "01.01.0005", "01.01.0009", "01.01.0010", "01.01.0018"}


def _draft_order_with_in_house_lines(sys: Systems) -> tuple[str, list[dict[str, Any]]]:
    """A sales order with at least one in-house and one bought line, put back to draft (创建) in Kingdee."""
    for doc in sys.kingdee.documents("SAL_SaleOrder"):
        lines = doc.get("FSaleOrderEntry") or []
        skus = {line["FMaterialId.FNumber"] for line in lines}
        if skus & IN_HOUSE and skus - IN_HOUSE:
            sys.kingdee.modify("SAL_SaleOrder", [doc["FBillNo"]], {"FDocumentStatus": "A"})
            return str(doc["FBillNo"]), lines
    raise AssertionError("the simulator has no order with mixed lines; change its seed")


def prepared(tmp_path: Path, engine: Engine) -> tuple[Systems, str, list[dict[str, Any]]]:
    """Kingdee's customers and orders in the hub (one of them a draft), then the flows switched on."""
    sys = systems(tmp_path / "ws", engine, flows=("order-to-production", "production-progress"))
    number, lines = _draft_order_with_in_house_lines(sys)
    sys.sync("kingdee-main", "customer")
    sys.sync("kingdee-main", "order")
    sys.start_flows()
    return sys, number, lines


def test_a_confirmed_order_becomes_production_orders_and_workshop_notices(db_engine: Engine, tmp_path: Path) -> None:
    sys, number, lines = prepared(tmp_path, db_engine)
    in_house = [line for line in lines if line["FMaterialId.FNumber"] in IN_HOUSE]

    sys.kingdee.modify("SAL_SaleOrder", [number], {"FDocumentStatus": "C"})  # 审核: the order is confirmed
    sys.sync("kingdee-main", "order")
    [run] = run_flows(db_engine, sys.root, transport=sys.transport)

    assert run["status"] == "succeeded", run["error"]
    made = [d for d in sys.kingdee.documents("PRD_MO") if d["FDescription"].startswith("hub:" + run["id"])]
    assert sorted(d["FTreeEntity"][0]["FMaterialId.FNumber"] for d in made) == sorted(
        line["FMaterialId.FNumber"] for line in in_house)
    assert {d["FTreeEntity"][0]["FSaleOrderNo"] for d in made} == {number}
    notices = sys.dingtalk.work_notifications
    assert len(notices) == len(made)
    assert all(d["FBillNo"] in str(notices) for d in made)
    store = Store(db_engine)
    order = store.find("order", "kingdee", number)
    assert order is not None
    for item in run["outputs"]["production_orders"]["items"]:
        production_order = store.get("production_order", item["record_id"])
        assert (production_order["order_id"], production_order["status"]) == (order["id"], "planned")
        refs = [(r["system"], r["object"], r["external_id"]) for r in production_order["refs"]]
        assert refs == [("kingdee", "PRD_MO", item["external_id"])]
    assert steps_of(db_engine, run["id"])["production_orders"]["idempotency_key"] == f"{run['id']}:production_orders"


def test_production_status_from_kingdee_moves_the_order_on(db_engine: Engine, tmp_path: Path) -> None:
    sys, number, _ = prepared(tmp_path, db_engine)
    sys.kingdee.modify("SAL_SaleOrder", [number], {"FDocumentStatus": "C"})
    sys.sync("kingdee-main", "order")
    run_flows(db_engine, sys.root, transport=sys.transport)
    made = sorted(d["FBillNo"] for d in sys.kingdee.documents("PRD_MO"))
    store = Store(db_engine)
    order_id = store.find("order", "kingdee", number)["id"]  # type: ignore[index]

    sys.kingdee.modify("PRD_MO", made[:1], {"FStatus": "4"})  # 开工
    sys.sync("kingdee-main", "production_order")
    run_flows(db_engine, sys.root, transport=sys.transport)
    assert store.get("order", order_id)["status"] == "in_production"
    assert not (store.get("order", order_id)["attributes"] or {}).get("ready_to_ship")

    sys.kingdee.modify("PRD_MO", made, {"FStatus": "5"})  # 完工, all of them
    sys.sync("kingdee-main", "production_order")
    run_flows(db_engine, sys.root, transport=sys.transport)
    assert store.get("order", order_id)["attributes"]["ready_to_ship"] is True
