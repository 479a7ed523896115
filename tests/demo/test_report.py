"""The report checks what the systems recorded: every missing outcome is named, in both languages."""

from __future__ import annotations

from pathlib import Path

from hub.demo.play import Facts
from hub.demo.report import missing, render


def complete() -> Facts:
    facts = Facts(Path("ws"), {"kingdee": 9101, "wecom": 9103, "dingtalk": 9104, "imap": 9143, "project": 9180})
    facts.order = {"number": "XSDD000030", "customer": "杭州精力电子科技有限公司", "customer_number": "CUST00018",
                   "in_house": ["01.01.0010", "01.01.0001"], "bought": ["01.01.0016"]}
    facts.production_orders = [{"number": "MO000001", "sku": "01.01.0010", "qty": "15.0"},
                               {"number": "MO000002", "sku": "01.01.0001", "qty": "20.0"}]
    facts.notices = [{"task_id": 1, "to": ["manager01"], "text": ""}, {"task_id": 2, "to": ["manager01"], "text": ""}]
    facts.started = {"number": "MO000001", "run": "succeeded", "order_status": "in_production"}
    facts.contract = {"sp_no": "202611250003", "number": "HT-2026-0042", "amount": "100000.00", "status": "signed",
                      "customer": "杭州精力电子科技有限公司", "customer_number": "CUST00018", "first_instalment": 0.3}
    facts.project = {"code": "PRJ-HT-2026-0042", "name": "实施项目 HT-2026-0042", "id": "prj_1"}
    facts.deliveries = [{"type": "project.created", "code": "PRJ-HT-2026-0042", "verified": True, "problem": None}]
    facts.wecom_cards = [{"to": ["zhao1", "gao2"], "title": "新项目", "msgtype": "textcard"}]
    facts.receivables = [{"number": "AR000001", "customer": "CUST00018", "amount": 30000.0}]
    facts.ticket = {"id": "tkt_1", "subject": "主轴异响", "from": "wang.fang@demo-customer.cn", "priority": "normal",
                    "customer": "杭州精力电子科技有限公司", "rule": "domain", "sla_due_at": "2026-11-26T16:00:00Z",
                    "remind_at": "2026-11-26T15:00:00+00:00", "sla_status": "waiting", "status": "resolved"}
    facts.timeline = [{"kind": "ticket.resolved", "ticket_id": "tkt_1", "summary": "工单已解决：主轴异响（mail）"}]
    facts.runs = [{"id": f"run_{i}", "flow": flow, "status": status, "error": None}
                  for i, (flow, status) in enumerate([
                      ("order-to-production", "succeeded"), ("production-progress", "succeeded"),
                      ("signed-contract-to-project", "succeeded"), ("ticket-sla", "waiting"),
                      ("ticket-resolved-summary", "succeeded")])]
    facts.timings = {"total": 4.2}
    return facts


def test_a_complete_demo_misses_nothing_and_says_so_in_both_languages() -> None:
    facts = complete()

    text = render(facts)

    assert missing(facts) == []
    assert "生产订单 MO000001, MO000002 已创建" in text
    assert "production orders MO000001, MO000002 created" in text
    assert "应收单 AR000001 已创建，客户 CUST00018，首期 30% ¥30,000.00" in text
    assert "SLA 截止 2026-11-27 00:00 北京时间" in text
    assert "SLA due 2026-11-26 16:00 UTC" in text
    assert "结果：全部预期结果均已达成。" in text
    assert "Result: every expected outcome happened." in text


def test_each_missing_outcome_is_named() -> None:
    facts = complete()
    facts.production_orders = facts.production_orders[:1]
    facts.receivables = [{"number": "AR000001", "customer": "CUST00018", "amount": 100000.0}]  # not the 30 %
    facts.deliveries[0]["verified"] = False
    facts.runs[2] = {"id": "run_2", "flow": "signed-contract-to-project", "status": "failed",
                     "error": {"step": "receivable", "message": "客户不存在"}}

    gaps = missing(facts)
    text = render(facts, "en")

    assert [g.en for g in gaps] == [
        "Kingdee production orders: expected 2, found 1",
        "DingTalk work notices: expected 1, found 2",
        "the project system got no validly signed project.created",
        "Kingdee has no first-instalment receivable of 30,000.00 for CUST00018",
        "flow signed-contract-to-project: expected succeeded, got failed",
        "flow run run_2 (signed-contract-to-project) failed at receivable: 客户不存在",
    ]
    assert "Result: 6 expected outcome(s) missing:" in text
    assert "  missing: Kingdee production orders: expected 2, found 1" in text
    assert "演示报告" not in text


def test_a_phase_that_could_not_run_is_reported() -> None:
    facts = complete()
    facts.errors = ["ticket: the mail did not become a ticket"]

    assert [g.zh for g in missing(facts)] == ["演示出错：ticket: the mail did not become a ticket"]
