"""ticket-sla and ticket-resolved-summary end to end: due time, a DingTalk to-do when near due, a WeCom escalation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from connectors.dingtalk.simulator import union_id
from hub.db.types import utcnow
from hub.store import SourceRecord, Store
from tests.flows.helpers import run_flows
from tests.flows.simulators import Systems, systems


def prepared(tmp_path: Path, engine: Engine) -> Systems:
    sys = systems(tmp_path / "ws", engine, flows=("ticket-sla", "ticket-resolved-summary"))
    sys.start_flows()
    return sys


def new_ticket(engine: Engine, *, priority: str = "urgent", status: str = "open",
               customer_id: str | None = None) -> str:
    fields = {"subject": "设备报警 E-42", "status": status, "priority": priority, "channel": "mail",
              "assignee": "李娜", "customer_id": customer_id}
    result = Store(engine).upsert_one("ticket", SourceRecord("mail", "message", "<t1@kehu.cn>", fields))
    assert result.record_id is not None
    return result.record_id


def later(hours: float) -> Callable[[], datetime]:
    return lambda: utcnow() + timedelta(hours=hours)


def make_due(engine: Engine) -> None:
    """The queued jobs are due (the runner's clock is moved on to match)."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE jobs SET run_after = :now WHERE status = 'queued'"),
                     {"now": (utcnow() - timedelta(seconds=1)).isoformat(timespec="microseconds")})


def test_an_open_ticket_gets_its_due_time_a_reminder_then_an_escalation(db_engine: Engine, tmp_path: Path) -> None:
    sys = prepared(tmp_path, db_engine)
    ticket_id = new_ticket(db_engine)

    [run] = run_flows(db_engine, sys.root, transport=sys.transport)
    due = datetime.fromisoformat(Store(db_engine).get("ticket", ticket_id)["sla_due_at"])
    assert abs((due - utcnow()) - timedelta(hours=4)) < timedelta(minutes=1)  # urgent: 4 h
    assert (run["status"], run["step"]) == ("waiting", "near_due")
    assert sys.dingtalk.todos == []

    make_due(db_engine)
    [run] = run_flows(db_engine, sys.root, transport=sys.transport, clock=later(3.01))  # 1 h before due
    [todo] = sys.dingtalk.todos
    assert todo["executorIds"] == [union_id("sales0201")]  # 李娜's unionId, from the flow's vars
    assert todo["subject"] == "工单临期：设备报警 E-42"
    assert (run["status"], run["step"]) == ("waiting", "overdue")

    make_due(db_engine)
    [run] = run_flows(db_engine, sys.root, transport=sys.transport, clock=later(4.01))
    assert run["status"] == "succeeded", run["error"]
    [card] = [m for m in sys.wecom.messages if m.body.get("msgtype") == "textcard"]
    assert card.body["touser"] == sys.wecom.staff[2]["userid"]  # the team lead
    assert "设备报警 E-42" in card.body["textcard"]["title"]


def test_a_ticket_resolved_in_time_is_not_escalated_and_lands_on_the_customers_timeline(
    db_engine: Engine, tmp_path: Path
) -> None:
    sys = prepared(tmp_path, db_engine)
    customer = Store(db_engine).upsert_one("customer", SourceRecord("kingdee", "BD_Customer", "CUST1", {
        "name": "苏州恒瑞精密机械有限公司", "attributes": {"level": "A"}}))
    ticket_id = new_ticket(db_engine, customer_id=customer.record_id)
    run_flows(db_engine, sys.root, transport=sys.transport)

    Store(db_engine).upsert_one("ticket", SourceRecord("mail", "message", "<t1@kehu.cn>", {  # the reply solved it
        "subject": "设备报警 E-42", "status": "resolved", "priority": "urgent", "channel": "mail", "assignee": "李娜",
        "customer_id": customer.record_id}))
    make_due(db_engine)
    runs = run_flows(db_engine, sys.root, transport=sys.transport, clock=later(3.01))

    by_flow = {r["flow"]: r for r in runs}
    assert by_flow["ticket-sla"]["status"] == "succeeded"
    assert by_flow["ticket-sla"]["outputs"]["open_when_near_due"] == {"took": "then"}  # resolved: ends here
    assert sys.dingtalk.todos == []
    assert sys.wecom.messages == []
    assert by_flow["ticket-resolved-summary"]["status"] == "succeeded", by_flow["ticket-resolved-summary"]["error"]
    attributes = Store(db_engine).get("customer", customer.record_id)["attributes"]
    assert attributes["level"] == "A"  # what Kingdee said is kept
    [entry] = attributes["timeline"]
    assert (entry["kind"], entry["ticket_id"]) == ("ticket.resolved", ticket_id)
    assert entry["summary"] == "工单已解决：设备报警 E-42（mail）"
