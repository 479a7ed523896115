"""The demo's scenario, played with the hub's own machinery against the simulators.

Syncs are :func:`hub.sync.engine.run_sync`; the flows run in :class:`hub.background.Background`
(the worker, the flow trigger and the outbound webhook dispatcher, as ``hub serve`` runs
them). The demo only does what people do in the outside systems (approve an order in
Kingdee, approve a contract in WeCom, write a mail) and, once, what a support agent does in
the hub (mark the ticket resolved), then records what each system saw, for the report.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr
from sqlalchemy import Engine, select

from hub.background import Background
from hub.db.engine import create_db_engine
from hub.db.migrate import upgrade
from hub.db.types import utcnow
from hub.demo.systems import Systems
from hub.demo.workspace import SHIPPED_FLOWS, write_workspace
from hub.errors import HubError
from hub.flows.registry import load_flows
from hub.flows.runs import list_runs, run_steps
from hub.flows.trigger import trigger_tick
from hub.settings import Settings
from hub.store import SourceRecord, Store
from hub.sync.engine import SyncOutcome, SyncRequest, run_sync
from hub.sync.plan import secret_box
from hub.workspace.loader import load_workspace
from webhooks.outbound.tables import SUBSCRIPTIONS

WAIT = 20.0  # seconds a flow run may take before the demo reports it missing
CONTRACT_NUMBER = "HT-2026-0042"
CONTRACT_AMOUNT = "100000.00"
CUSTOMER_DOMAIN = "demo-customer.cn"
CONTACT_EMAIL = f"caigou@{CUSTOMER_DOMAIN}"
SENDER = ("王芳", f"wang.fang@{CUSTOMER_DOMAIN}")
DONE = ("succeeded", "failed", "cancelled")


@dataclass
class Facts:
    """What happened, per system, for the report (empty values: it did not happen)."""

    workspace: Path
    ports: dict[str, int]
    initial: dict[str, int] = field(default_factory=dict)  # "kingdee customer" -> records synced
    order: dict[str, Any] = field(default_factory=dict)
    production_orders: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    started: dict[str, Any] = field(default_factory=dict)
    contract: dict[str, Any] = field(default_factory=dict)
    project: dict[str, Any] = field(default_factory=dict)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    wecom_cards: list[dict[str, Any]] = field(default_factory=list)
    receivables: list[dict[str, Any]] = field(default_factory=list)
    ticket: dict[str, Any] = field(default_factory=dict)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # something the demo itself could not do


class Demo:
    """A workspace, its SQLite database and the background work, against started :class:`Systems`."""

    def __init__(self, root: Path, systems: Systems) -> None:
        self.root = root
        self.systems = systems
        env = write_workspace(root, systems)
        self.settings = Settings(workspace=root, database_url=None, secret_key=SecretStr(env["HUB_SECRET_KEY"]),
                                 webhook_allow_networks=env["HUB_WEBHOOK_ALLOW_NETWORKS"])
        self.engine: Engine = create_db_engine(self.settings.effective_database_url)
        upgrade(self.engine)
        self.workspace = load_workspace(root)
        self.store = Store(self.engine, self.workspace.store_rules)
        self.facts = Facts(root, dict(systems.ports))
        self.background: Background | None = None
        self.in_house = {str(s) for s in _vars("order-to-production")["in_house"]}
        self.first_instalment = float(_vars("signed-contract-to-project")["first_instalment"])

    # -- the scenario ----------------------------------------------------------------------------

    async def play(self) -> Facts:
        clock = time.monotonic()
        try:
            if await self._timed("setup", self.prepare):
                await self._timed("order", self.order_to_production)
                await self._timed("contract", self.contract_to_project)
                await self._timed("ticket", self.mail_to_ticket)
        finally:
            await self.stop_background()
            self.facts.runs = await asyncio.to_thread(self._runs)
        self.facts.timings["total"] = time.monotonic() - clock
        return self.facts

    async def _timed(self, name: str, phase: Callable[[], Awaitable[None]]) -> bool:
        started = time.monotonic()
        try:
            await phase()
        except Exception as exc:  # keep going: the report says what is missing and why
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            self.facts.errors.append(f"{name}: {message}")
            return False
        finally:
            self.facts.timings[name] = time.monotonic() - started
        return True

    async def prepare(self) -> None:
        """Kingdee's, WeCom's and the mailbox's current state into the hub; then the flows start acting."""
        kingdee = self.systems.kingdee
        number = self._draft_order()
        for connector, entity in (("kingdee-main", "customer"), ("kingdee-main", "order"),
                                  ("kingdee-main", "production_order"), ("wecom-main", "contract"),
                                  ("mail-support", "ticket")):
            outcome = await self.sync(connector, entity)
            self.facts.initial[f"{connector} {entity}"] = outcome.counts.created
        [doc] = kingdee.documents("SAL_SaleOrder", number=number)
        customer = _need(self.store.find("customer", "kingdee", str(doc["FCustId.FNumber"])),
                         "the order's customer is not in the hub after the Kingdee sync")
        self.facts.order = {"number": number, "customer_number": doc["FCustId.FNumber"],
                            "customer": doc["FCustId.FName"], "customer_id": customer["id"],
                            "in_house": [line["FMaterialId.FNumber"] for line in doc["FSaleOrderEntry"]
                                         if line["FMaterialId.FNumber"] in self.in_house],
                            "bought": [line["FMaterialId.FNumber"] for line in doc["FSaleOrderEntry"]
                                       if line["FMaterialId.FNumber"] not in self.in_house]}
        # The customer's purchasing contact, as a CRM would add it: mail from its domain finds the customer.
        await asyncio.to_thread(self.store.upsert_one, "customer", SourceRecord(
            "demo", "contact", CONTACT_EMAIL, {"emails": [CONTACT_EMAIL]}, attach_to=customer["id"]))
        with self.engine.begin() as conn:  # the trigger's first tick: flows act on what happens from now on
            trigger_tick(conn, load_flows(self.root))
        self.background = Background(self.engine, self.settings, scheduler=False)
        await self.background.start()
        await self._until(lambda: self._subscription_ready(), "the project-system subscription")

    def _draft_order(self) -> str:
        """A sales order with in-house and bought lines, put back to draft (创建) before the hub reads it."""
        def made(doc: dict[str, Any]) -> int:
            return sum(line["FMaterialId.FNumber"] in self.in_house for line in doc.get("FSaleOrderEntry") or [])

        mixed = [doc for doc in self.systems.kingdee.documents("SAL_SaleOrder")
                 if doc.get("FCustId.FNumber") and 0 < made(doc) < len(doc["FSaleOrderEntry"])]
        if not mixed:
            raise HubError("the Kingdee simulator has no order with in-house and bought lines")
        number = str(max(mixed, key=made)["FBillNo"])  # the first with the most in-house lines
        self.systems.kingdee.modify("SAL_SaleOrder", [number], {"FDocumentStatus": "A"})
        return number

    async def order_to_production(self) -> None:
        """审核 the order in Kingdee → production orders and DingTalk notices; one starts → order in production."""
        kingdee, number = self.systems.kingdee, self.facts.order["number"]
        kingdee.modify("SAL_SaleOrder", [number], {"FDocumentStatus": "C"})
        await self.sync("kingdee-main", "order")
        order = _need(self.store.find("order", "kingdee", number), f"order {number} is not in the hub")
        self.facts.order.update(id=order["id"], status_after_approval=order["status"])
        run = await self.finished_run("order-to-production", order["id"])
        for item in ((run or {}).get("outputs", {}).get("production_orders") or {}).get("items", []):
            self.facts.production_orders.append({"number": item["external_id"], "sku": item["record"]["sku"],
                                                 "qty": item["record"]["qty"], "record_id": item.get("record_id")})
        self.facts.notices = [{"task_id": n["task_id"], "to": n["userid_list"], "text": _markdown(n["msg"])}
                              for n in self.systems.dingtalk.work_notifications]
        if not self.facts.production_orders:
            return
        first = self.facts.production_orders[0]
        kingdee.modify("PRD_MO", [first["number"]], {"FStatus": "4"})  # 开工: the workshop starts it
        await self.sync("kingdee-main", "production_order")
        progress = await self.finished_run("production-progress", first["record_id"])
        self.facts.started = {"number": first["number"], "run": (progress or {}).get("status"),
                              "order_status": self.store.get("order", order["id"])["status"]}

    async def contract_to_project(self) -> None:
        """A contract approval for the order's customer, approved in WeCom → project, webhook, notice, receivable."""
        wecom = self.systems.wecom
        sp_no = wecom.add_approval(values={"number": CONTRACT_NUMBER, "customer": self.facts.order["customer"],
                                           "amount": CONTRACT_AMOUNT, "type": "sale", "remark": "首期款 30%"})
        wecom.decide(sp_no, 2)  # the approver approves
        sent_before = len(wecom.messages)
        await self.sync("wecom-main", "contract")
        contract = _need(self.store.find("contract", "wecom", sp_no), f"WeCom approval {sp_no} is not a contract")
        self.facts.contract = {"sp_no": sp_no, "number": contract["number"], "amount": contract["amount"],
                               "status": contract["status"], "customer": self.facts.order["customer"],
                               "customer_number": self.facts.order["customer_number"],
                               "first_instalment": self.first_instalment}
        run = await self.finished_run("signed-contract-to-project", contract["id"])
        project = ((run or {}).get("outputs", {}).get("project") or {}).get("record") or {}
        self.facts.project = {"code": project.get("code"), "name": project.get("name"), "id": project.get("id")}
        await asyncio.to_thread(self.systems.project.received.wait, 10)
        self.facts.deliveries = [{"type": d.body.get("type"), "code": (d.body.get("data") or {}).get("code"),
                                  "verified": d.verified, "problem": d.problem}
                                 for d in self.systems.project.deliveries]
        self.facts.wecom_cards = [{"to": m.recipients, "title": (m.body.get("textcard") or {}).get("title"),
                                   "msgtype": m.body.get("msgtype")} for m in wecom.messages[sent_before:]]
        self.facts.receivables = [{"number": d.get("FBillNo"), "customer": d.get("FCUSTOMERID.FNumber"),
                                   "amount": d.get("FALLAMOUNTFOR")}
                                  for d in self.systems.kingdee.documents("AR_receivable")]

    async def mail_to_ticket(self) -> None:
        """A customer's mail → ticket with an SLA; the agent resolves it → a line on the customer's timeline."""
        message_id = make_msgid("demo-ticket", CUSTOMER_DOMAIN)
        uid = self.systems.mailbox.append(demo_mail(message_id))
        await self.sync("mail-support", "ticket")
        ticket = _need(self.store.find("ticket", "mail", message_id), "the mail did not become a ticket")
        match = (ticket.get("attributes") or {}).get("customer_match") or {}
        customer = self.store.get("customer", ticket["customer_id"]) if ticket.get("customer_id") else None
        self.facts.ticket = {"id": ticket["id"], "subject": ticket["subject"], "from": SENDER[1],
                             "priority": ticket["priority"], "customer": customer["name"] if customer else None,
                             "rule": match.get("rule"), "flags": sorted(self.systems.mailbox.flags_of(uid))}
        sla = await self.run_in("ticket-sla", ticket["id"], ("waiting", *DONE))
        if sla is not None:
            steps = {s["step"]: s for s in await asyncio.to_thread(self._steps, sla["id"])}
            self.facts.ticket.update(sla_due_at=(sla["outputs"].get("due") or {}).get("record", {}).get("sla_due_at"),
                                     remind_at=(steps.get("near_due", {}).get("output") or {}).get("due"),
                                     sla_status=sla["status"])
        # The agent resolves it (the hub has no API to edit a ticket yet: the demo writes the change to the store).
        await asyncio.to_thread(self.store.upsert_one, "ticket", SourceRecord(
            "demo", "agent", ticket["id"], {"status": "resolved"}, attach_to=ticket["id"]))
        self.facts.ticket["status"] = self.store.get("ticket", ticket["id"])["status"]
        await self.finished_run("ticket-resolved-summary", ticket["id"])
        if customer is not None:
            attributes = self.store.get("customer", customer["id"]).get("attributes") or {}
            self.facts.timeline = list(attributes.get("timeline") or [])

    async def spare_order(self) -> str | None:
        """Another order with in-house lines, put back to draft and synced, for the person exploring to approve."""
        for doc in self.systems.kingdee.documents("SAL_SaleOrder"):
            lines = doc.get("FSaleOrderEntry") or []
            if doc["FBillNo"] != self.facts.order.get("number") and any(
                    line["FMaterialId.FNumber"] in self.in_house for line in lines):
                self.systems.kingdee.modify("SAL_SaleOrder", [str(doc["FBillNo"])], {"FDocumentStatus": "A"})
                await self.sync("kingdee-main", "order")
                return str(doc["FBillNo"])
        return None

    # -- the hub's machinery ---------------------------------------------------------------------

    async def sync(self, connector: str, entity: str) -> SyncOutcome:
        box = secret_box(self.settings.secret_key.get_secret_value() if self.settings.secret_key else None)
        return await run_sync(self.engine, self.workspace, SyncRequest(connector, entity), secrets=box)

    async def finished_run(self, flow: str, record_id: str | None) -> dict[str, Any] | None:
        return await self.run_in(flow, record_id, DONE)

    async def run_in(self, flow: str, record_id: str | None, statuses: tuple[str, ...]) -> dict[str, Any] | None:
        """The flow's newest run for the record once it is in one of ``statuses`` (None: not within WAIT)."""
        if record_id is None:
            return None
        found: list[dict[str, Any]] = []

        def reached() -> bool:
            with self.engine.connect() as conn:
                runs = list_runs(conn, flow=flow, record_id=record_id, limit=1)[0]
            found[:] = runs
            return bool(runs) and runs[0]["status"] in statuses

        await self._until(reached, f"a {flow} run", fail=False)
        return found[0] if found else None

    async def _until(self, check: Callable[[], bool], what: str, *, fail: bool = True) -> bool:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if await asyncio.to_thread(check):
                return True
            await asyncio.sleep(0.05)
        if fail:
            raise TimeoutError(f"{what} did not happen within {WAIT:.0f} s")
        return False

    def _subscription_ready(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(SUBSCRIPTIONS.c.id).where(SUBSCRIPTIONS.c.name == "project-system")).first() \
                is not None

    def _runs(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return list(reversed(list_runs(conn, limit=200)[0]))

    def _steps(self, run_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return run_steps(conn, run_id)

    async def stop_background(self) -> None:
        if self.background is not None:
            await self.background.stop()
            self.background = None

    def close(self) -> None:
        self.engine.dispose()


def demo_mail(message_id: str) -> bytes:
    """The customer's mail (RFC 822, UTF-8, base64 body) that the demo mailbox holds."""
    mail = EmailMessage()
    mail["From"] = f"{SENDER[0]} <{SENDER[1]}>"
    mail["To"] = "客服中心 <support@hub-demo.cn>"
    mail["Subject"] = "A-100 数控机床主轴异响，请安排工程师上门"
    mail["Date"] = format_datetime(utcnow())
    mail["Message-ID"] = message_id
    mail.set_content("您好：\n\n我们上个月采购的 A-100 数控机床，主轴转速超过 3000 转时有明显异响，"
                     "已暂停使用。\n请尽快安排工程师上门检查，谢谢。\n\n王芳\n设备科\n", charset="utf-8",
                     cte="base64")
    return mail.as_bytes()


def _vars(flow: str) -> dict[str, Any]:
    """The shipped flow's vars (what the demo expects it to do)."""
    data = yaml.safe_load((SHIPPED_FLOWS / f"{flow}.yaml").read_text(encoding="utf-8"))
    return dict(data.get("vars") or {})


def _need(value: dict[str, Any] | None, problem: str) -> dict[str, Any]:
    if value is None:
        raise HubError(problem)
    return value


def _markdown(msg: dict[str, Any]) -> str:
    body = msg.get(str(msg.get("msgtype"))) or {}
    return str(body.get("text") or body.get("content") or body.get("title") or "")
