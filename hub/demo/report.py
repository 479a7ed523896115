"""The demo's report: what happened in which system, in Chinese and/or English, and what is missing.

Every line is built from what the systems themselves recorded (the simulators' documents
and messages, the receiver's deliveries, the hub's store and flow runs), never from what
the demo meant to happen; :func:`missing` lists each expected outcome that is not there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from hub.demo.play import CONTACT_EMAIL, Facts

Lang = Literal["zh", "en", "both"]
BEIJING = ZoneInfo("Asia/Shanghai")
STATUS_ZH = {"succeeded": "成功", "failed": "失败", "waiting": "等待中", "running": "运行中", "cancelled": "已取消"}
EXPECTED_RUNS = {"order-to-production": "succeeded", "production-progress": "succeeded",
                 "signed-contract-to-project": "succeeded", "ticket-sla": "waiting",
                 "ticket-resolved-summary": "succeeded"}


@dataclass(frozen=True)
class Missing:
    zh: str
    en: str


def missing(facts: Facts) -> list[Missing]:
    """Each expected outcome that did not happen (empty: the demo did everything it shows)."""
    f, out = facts, []
    made = f.order.get("in_house") or []

    def need(ok: bool, zh: str, en: str) -> None:
        if not ok:
            out.append(Missing(zh, en))

    need(bool(made) and len(f.production_orders) == len(made),
         f"金蝶生产订单：应有 {len(made)} 张，实际 {len(f.production_orders)} 张",
         f"Kingdee production orders: expected {len(made)}, found {len(f.production_orders)}")
    need(bool(f.notices) and len(f.notices) == len(f.production_orders),
         f"钉钉工作通知：应有 {len(f.production_orders)} 条，实际 {len(f.notices)} 条",
         f"DingTalk work notices: expected {len(f.production_orders)}, found {len(f.notices)}")
    need(f.started.get("order_status") == "in_production", "销售订单没有变为生产中",
         "the sales order did not move to in_production")
    need(bool(f.project.get("code")), "没有创建项目", "no project was created")
    need(any(d["verified"] and d["type"] == "project.created" for d in f.deliveries),
         "项目系统没有收到签名有效的 project.created", "the project system got no validly signed project.created")
    need(any(c["msgtype"] == "textcard" for c in f.wecom_cards), "企业微信没有收到交付团队通知",
         "WeCom got no notice for the delivery team")
    expected = float(f.contract.get("amount") or 0) * float(f.contract.get("first_instalment") or 0)
    need(any(r["customer"] == f.contract.get("customer_number") and abs(float(r["amount"] or 0) - expected) < 0.01
             for r in f.receivables),
         f"金蝶没有客户 {f.contract.get('customer_number')} 的首期应收单 {expected:,.2f}",
         f"Kingdee has no first-instalment receivable of {expected:,.2f} for {f.contract.get('customer_number')}")
    need(bool(f.ticket.get("id")) and f.ticket.get("customer") is not None, "邮件没有成为带客户的工单",
         "the mail did not become a ticket with its customer")
    need(bool(f.ticket.get("remind_at")), "工单 SLA 流程没有排定提醒", "the ticket SLA flow scheduled no reminder")
    need(any(e.get("ticket_id") == f.ticket.get("id") for e in f.timeline), "客户时间线没有记录已解决的工单",
         "the customer's timeline has no line for the resolved ticket")
    statuses = {r["flow"]: r["status"] for r in f.runs}  # the newest run of each flow
    for flow, status in EXPECTED_RUNS.items():
        got = statuses.get(flow)
        need(got == status, f"流程 {flow}：应为{STATUS_ZH[status]}，实际 {got or '没有运行'}",
             f"flow {flow}: expected {status}, got {got or 'no run'}")
    for run in f.runs:
        if run["status"] == "failed":
            error = run.get("error") or {}
            need(False, f"流程运行 {run['id']}（{run['flow']}）失败于 {error.get('step')}：{error.get('message')}",
                 f"flow run {run['id']} ({run['flow']}) failed at {error.get('step')}: {error.get('message')}")
    for error in f.errors:
        need(False, f"演示出错：{error}", f"the demo failed: {error}")
    return out


def render(facts: Facts, lang: Lang = "both") -> str:
    parts = []
    if lang in ("zh", "both"):
        parts.append(_zh(facts))
    if lang in ("en", "both"):
        parts.append(_en(facts))
    return "\n\n".join(parts) + "\n"


def _names(items: list[str]) -> str:
    return ", ".join(items) if items else "-"


def _recipients(f: Facts) -> list[str]:
    return sorted({str(u) for n in f.notices for u in n["to"]})


def _money(value: object) -> str:
    try:
        return f"¥{float(str(value)):,.2f}"
    except ValueError:
        return str(value)


def _when(value: object, zone: ZoneInfo | None) -> str:
    if not value:
        return "-"
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") + (" 北京时间" if zone else " UTC")


def _zh(f: Facts) -> str:
    o, c, t = f.order, f.contract, f.ticket
    mos = [p["number"] for p in f.production_orders]
    lines = [
        f"== hub demo 演示报告（{f.timings.get('total', 0):.1f} 秒）==",
        f"工作区 {f.workspace}（SQLite）。模拟器：金蝶 :{f.ports.get('kingdee')}、企业微信 :{f.ports.get('wecom')}、"
        f"钉钉 :{f.ports.get('dingtalk')}、邮箱 IMAP :{f.ports.get('imap')}、项目系统 :{f.ports.get('project')}。",
        f"首次同步：金蝶客户 {f.initial.get('kingdee-main customer', 0)}、"
        f"销售订单 {f.initial.get('kingdee-main order', 0)}，"
        f"企业微信合同 {f.initial.get('wecom-main contract', 0)}；此后发生的事才触发流程。",
        "",
        "① 订单确认 → 生产",
        f"  金蝶 Kingdee：销售订单 {o.get('number', '-')}（{o.get('customer', '-')}）审核通过",
        f"  金蝶 Kingdee：生产订单 {_names(mos)} 已创建（自制物料 {len(o.get('in_house') or [])} 行；"
        f"外购 {len(o.get('bought') or [])} 行不生产）",
        f"  钉钉 DingTalk：{len(f.notices)} 条工作通知发给车间主任 {_names(_recipients(f))}",
        f"  金蝶 Kingdee：生产订单 {f.started.get('number', '-')} 开工 → 中枢里订单 {o.get('number', '-')} 状态为 "
        f"{f.started.get('order_status', '-')}（生产中）",
        "",
        "② 合同审批 → 项目",
        f"  企业微信 WeCom：合同审批 {c.get('sp_no', '-')}（{c.get('number', '-')}，{_money(c.get('amount', '-'))}，"
        f"{c.get('customer', '-')}）审批通过",
        f"  中枢 hub：项目 {f.project.get('code') or '-'}「{f.project.get('name') or '-'}」已创建",
        *[f"  项目系统 project system：收到 webhook {d['type']} {d['code']}"
          f"（签名{'有效' if d['verified'] else '无效'}）" for d in f.deliveries],
        *[f"  企业微信 WeCom：文本卡片「{m['title']}」发给交付团队 {_names(m['to'])}" for m in f.wecom_cards],
        *[f"  金蝶 Kingdee：应收单 {r['number']} 已创建，客户 {r['customer']}，首期 "
          f"{c.get('first_instalment', 0):.0%} {_money(r['amount'])}" for r in f.receivables],
        "",
        "③ 邮件 → 工单（IMAP 服务器由演示内置的内存邮箱代替，邮件连接器照常读取）",
        f"  邮件 Mail：{t.get('from', '-')} 的邮件「{t.get('subject', '-')}」→ 工单 {t.get('id', '-')}，"
        f"按{ {'domain': '邮箱域名', 'email': '邮箱地址', 'crosswalk': '已知地址'}.get(str(t.get('rule')), '-') }"
        f"识别为客户 {t.get('customer') or '（无）'}（该客户的联系人邮箱 {CONTACT_EMAIL} 由演示登记，代替 CRM）",
        f"  中枢 hub：SLA 截止 {_when(t.get('sla_due_at'), BEIJING)}（{t.get('priority', '-')} 优先级）；"
        f"临期提醒（钉钉待办）定于 {_when(t.get('remind_at'), BEIJING)}，流程 ticket-sla "
        f"{STATUS_ZH.get(str(t.get('sla_status')), '-')}",
        f"  中枢 hub：客服把工单标为已解决（中枢尚无编辑工单的接口，由演示写入）→ 工单状态 {t.get('status', '-')}；"
        "到提醒时间流程会看到它已解决而结束，不再提醒",
        *[f"  中枢 hub：客户 {t.get('customer')} 的时间线新增：{e.get('summary')}" for e in f.timeline],
        "",
        "流程运行：" + "；".join(f"{r['flow']} {STATUS_ZH.get(r['status'], r['status'])}" for r in f.runs),
    ]
    gaps = missing(f)
    lines.append(f"结果：{'全部预期结果均已达成' if not gaps else f'{len(gaps)} 项预期结果缺失'}。")
    lines += [f"  缺少：{g.zh}" for g in gaps]
    return "\n".join(lines)


def _en(f: Facts) -> str:
    o, c, t = f.order, f.contract, f.ticket
    mos = [p["number"] for p in f.production_orders]
    rule = {"domain": "by its mail domain", "email": "by its address", "crosswalk": "by a known address"}
    lines = [
        f"== hub demo report ({f.timings.get('total', 0):.1f} s) ==",
        f"Workspace {f.workspace} (SQLite). Simulators: Kingdee :{f.ports.get('kingdee')}, WeCom "
        f":{f.ports.get('wecom')}, DingTalk :{f.ports.get('dingtalk')}, mail IMAP :{f.ports.get('imap')}, "
        f"project system :{f.ports.get('project')}.",
        f"First sync: Kingdee {f.initial.get('kingdee-main customer', 0)} customers and "
        f"{f.initial.get('kingdee-main order', 0)} sales orders, WeCom {f.initial.get('wecom-main contract', 0)} "
        "contract(s); only what happens afterwards triggers flows.",
        "",
        "1. Order confirmed -> production",
        f"  Kingdee: sales order {o.get('number', '-')} ({o.get('customer', '-')}) approved",
        f"  Kingdee: production orders {_names(mos)} created ({len(o.get('in_house') or [])} in-house lines; "
        f"{len(o.get('bought') or [])} bought lines are not produced)",
        f"  DingTalk: {len(f.notices)} work notice(s) to the workshop manager "
        f"{_names(_recipients(f))}",
        f"  Kingdee: production order {f.started.get('number', '-')} started -> order {o.get('number', '-')} is "
        f"{f.started.get('order_status', '-')} in the hub",
        "",
        "2. Contract approved -> project",
        f"  WeCom: contract approval {c.get('sp_no', '-')} ({c.get('number', '-')}, {_money(c.get('amount', '-'))}, "
        f"{c.get('customer', '-')}) approved",
        f"  hub: project {f.project.get('code') or '-'} created",
        *[f"  project system: received webhook {d['type']} {d['code']} (signature "
          f"{'valid' if d['verified'] else 'INVALID'})" for d in f.deliveries],
        *[f"  WeCom: text card \"{m['title']}\" to the delivery team {_names(m['to'])}" for m in f.wecom_cards],
        *[f"  Kingdee: receivable {r['number']} created for {r['customer']}, first instalment "
          f"{c.get('first_instalment', 0):.0%} = {_money(r['amount'])}" for r in f.receivables],
        "",
        "3. Mail -> ticket (the IMAP server is the demo's in-memory mailbox; the mail connector reads it as usual)",
        f"  Mail: \"{t.get('subject', '-')}\" from {t.get('from', '-')} -> ticket {t.get('id', '-')}, customer "
        f"{t.get('customer') or '(none)'} found {rule.get(str(t.get('rule')), '-')} (the demo registered its contact "
        f"{CONTACT_EMAIL}, as a CRM would)",
        f"  hub: SLA due {_when(t.get('sla_due_at'), None)} ({t.get('priority', '-')} priority); the reminder "
        f"(a DingTalk to-do) is due {_when(t.get('remind_at'), None)}; ticket-sla is {t.get('sla_status', '-')}",
        f"  hub: an agent marks the ticket resolved (no ticket-editing API yet: the demo writes it) -> status "
        f"{t.get('status', '-')}; at reminder time the flow sees it resolved and ends without reminding",
        *[f"  hub: a line on {t.get('customer')}'s timeline: {e.get('kind')} {e.get('ticket_id')}" for e in f.timeline],
        "",
        "Flow runs: " + "; ".join(f"{r['flow']} {r['status']}" for r in f.runs),
    ]
    gaps = missing(f)
    lines.append("Result: " + ("every expected outcome happened." if not gaps else
                               f"{len(gaps)} expected outcome(s) missing:"))
    lines += [f"  missing: {g.en}" for g in gaps]
    return "\n".join(lines)
