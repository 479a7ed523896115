"""signed-contract-to-project end to end: a WeCom approval → project, webhook, WeCom notice, Kingdee receivable."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, text

from hub.store import Store
from tests.flows.helpers import run_flows
from tests.flows.simulators import Systems, systems


def prepared(tmp_path: Path, engine: Engine) -> Systems:
    sys = systems(tmp_path / "ws", engine, flows=("signed-contract-to-project",))
    sys.sync("kingdee-main", "customer")
    sys.sync("wecom-main", "contract")
    sys.sync_subscriptions()
    sys.start_flows()
    return sys


def approve_contract(sys: Systems, customer: str, *, number: str = "HT-2026-0042", amount: str = "100000.00") -> str:
    """Someone applies for a contract approval in WeCom and the approver approves it; the hub syncs approvals."""
    sp_no = sys.wecom.add_approval(values={"number": number, "customer": customer, "amount": amount,
                                           "type": "sale", "remark": ""})
    sys.wecom.decide(sp_no, 2)
    sys.sync("wecom-main", "contract")
    return sp_no


def kingdee_customer(sys: Systems) -> dict[str, str]:
    doc = sys.kingdee.documents("BD_Customer")[0]
    return {"number": str(doc["FNumber"]), "name": str(doc["FName"])}


def test_a_signed_contract_becomes_a_project_a_notice_a_webhook_and_a_receivable(
    db_engine: Engine, tmp_path: Path
) -> None:
    sys = prepared(tmp_path, db_engine)
    customer = kingdee_customer(sys)

    approve_contract(sys, customer["name"])
    [run] = run_flows(db_engine, sys.root, transport=sys.transport)

    assert run["status"] == "succeeded", run["error"]
    project = Store(db_engine).get("project", run["outputs"]["project"]["id"])
    contract = Store(db_engine).get("contract", run["record_id"])
    assert (project["code"], project["contract_id"], project["status"]) == ("PRJ-HT-2026-0042", contract["id"],
                                                                             "active")
    with db_engine.connect() as conn:
        [(event_type, body)] = conn.execute(text(
            "SELECT d.event_type, d.body FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id "
            "WHERE s.name = 'project-system'")).all()
    assert event_type == "project.created"
    assert json.loads(body)["data"]["code"] == "PRJ-HT-2026-0042"
    [message] = [m for m in sys.wecom.messages if m.body.get("msgtype") == "textcard"]
    assert message.body["touser"] == "|".join(e["userid"] for e in sys.wecom.staff[:2])  # the delivery team
    assert "HT-2026-0042" in json.dumps(message.body, ensure_ascii=False)
    [receivable] = sys.kingdee.documents("AR_receivable")
    assert receivable["FCUSTOMERID.FNumber"] == customer["number"]
    assert float(receivable["FALLAMOUNTFOR"]) == 30000.0  # the first instalment: 30 %
    assert "ask_finance" not in run["outputs"]


def test_a_customer_kingdee_does_not_know_asks_finance_instead_of_guessing(db_engine: Engine, tmp_path: Path) -> None:
    sys = prepared(tmp_path, db_engine)

    approve_contract(sys, "一家金蝶里没有的公司")
    [run] = run_flows(db_engine, sys.root, transport=sys.transport)

    assert run["status"] == "succeeded", run["error"]
    assert run["outputs"]["has_kingdee_customer"] == {"took": "else"}
    assert sys.kingdee.documents("AR_receivable") == []
    texts = [m.body["text"]["content"] for m in sys.wecom.messages if m.body.get("msgtype") == "text"]
    assert texts == ["合同 HT-2026-0042 的客户在金蝶中找不到，请财务手工开首期应收单。"]
