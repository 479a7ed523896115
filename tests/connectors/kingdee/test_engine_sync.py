"""The connector under the hub's sync engine: simulator -> shipped mappings -> store, with events.

Covers full and incremental sync, session expiry and HTTP 500s mid-sync, a bad record
quarantined while the rest lands, crash and resume without loss or duplicates, deletion
detection, and receipts turning orders partial and then paid (on SQLite and PostgreSQL).

hub.yaml keys ``entities`` by canonical entity, so one workspace cannot sync both sales
orders and receipts (both feed ``order``); the receipt tests use a second workspace with
the same connector name and database until hub.yaml allows several mappings per entity.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from connectors.erp.kingdee import KingdeeConnector
from connectors.erp.kingdee.simulator import KingdeeSimulator
from hub.events.outbox import list_events
from hub.sdk import registry
from hub.store import find_by_ref
from hub.store.tables import RecordVersion
from hub.sync.engine import SyncOutcome, SyncRequest, run_sync
from hub.workspace.loader import load_workspace
from tests.connectors.kingdee.conftest import small_simulator

HUB_YAML = """
connectors:
  kingdee-main:
    type: kingdee
    settings:
      base_url: http://kingdee.test/k3cloud/
      acct_id: "{acct_id}"
      username: {username}
      password: ${{KD_PASSWORD}}
      page_size: 50
    entities:
      customer: {{mapping: kingdee-customer}}
      order: {{mapping: {order_mapping}}}
"""

Sync = Callable[..., SyncOutcome]


@pytest.fixture
def simulator() -> KingdeeSimulator:
    return small_simulator()


def make_sync(tmp_path: Path, engine: Engine, sim: KingdeeSimulator, monkeypatch: pytest.MonkeyPatch) -> Sync:
    monkeypatch.setattr(registry, "connector_types", lambda: {"kingdee": KingdeeConnector})
    workspaces = {}
    for name, order_mapping in (("orders", "kingdee-sales-order"), ("receipts", "kingdee-receipt")):
        root = tmp_path / name
        root.mkdir()
        (root / "hub.yaml").write_text(HUB_YAML.format(acct_id=sim.account.acct_id, username=sim.account.username,
                                                       order_mapping=order_mapping), encoding="utf-8")
        workspaces[name] = load_workspace(root, env={"KD_PASSWORD": sim.account.password})

    def run(entity: str, *, full: bool = False, receipts: bool = False,
            transport: httpx.AsyncBaseTransport | None = None) -> SyncOutcome:
        workspace = workspaces["receipts" if receipts else "orders"]
        return asyncio.run(run_sync(engine, workspace, SyncRequest("kingdee-main", entity, full=full),
                                    transport=transport or httpx.ASGITransport(app=sim.app)))

    return run


@pytest.fixture
def sync(tmp_path: Path, db_engine: Engine, simulator: KingdeeSimulator, monkeypatch: pytest.MonkeyPatch) -> Sync:
    return make_sync(tmp_path, db_engine, simulator, monkeypatch)


def order(engine: Engine, number: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return find_by_ref(conn, "order", "kingdee", number, "SAL_SaleOrder")


def events(engine: Engine, *types: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return list_events(conn, types=types, limit=10_000)


def test_customers_then_orders_land_and_a_change_lands_as_an_update(
    sync: Sync, simulator: KingdeeSimulator, db_engine: Engine
) -> None:
    customers = sync("customer")
    orders = sync("order")

    assert (customers.counts.created, orders.counts.created, orders.counts.quarantined) == (30, 120, 0)
    stored = order(db_engine, "XSDD000005")
    assert stored is not None
    assert stored["customer_id"].startswith("cus_")
    assert len(stored["lines"]) == len(simulator.documents("SAL_SaleOrder", number="XSDD000005")[0]["FSaleOrderEntry"])

    simulator.modify("SAL_SaleOrder", ["XSDD000005"], {"FNote": "客户要求提前到货"})
    again = sync("order")

    assert (again.counts.read, again.counts.updated) == (1, 1)
    assert order(db_engine, "XSDD000005")["note"] == "客户要求提前到货"  # type: ignore[index]


def test_an_incremental_sync_with_nothing_changed_reads_nothing(sync: Sync) -> None:
    sync("customer")
    sync("order")

    again = sync("order")

    assert (again.counts.read, again.counts.created, again.counts.updated) == (0, 0, 0)


def test_a_session_expiring_mid_sync_logs_in_again_and_everything_lands(
    sync: Sync, simulator: KingdeeSimulator
) -> None:
    simulator.knobs.session_max_calls = 4
    sync("customer")

    outcome = sync("order")

    assert (outcome.counts.created, outcome.counts.quarantined) == (120, 0)
    assert simulator.logins > 2


def test_http_500s_mid_sync_are_retried(sync: Sync, simulator: KingdeeSimulator) -> None:
    sync("customer")
    simulator.knobs.http_500_on_calls = [simulator.calls + 4]

    assert sync("order").counts.created == 120


def test_a_bad_record_is_quarantined_while_the_rest_lands(sync: Sync, simulator: KingdeeSimulator) -> None:
    sync("customer")
    simulator.modify("SAL_SaleOrder", ["XSDD000042"], {"FSettleCurrId.FNumber": "PRE999"})

    outcome = sync("order")

    assert (outcome.counts.created, outcome.counts.quarantined) == (119, 1)


class CrashOnCall(httpx.AsyncBaseTransport):
    """The hub process dies (an exception no retry catches) when it sends call number ``at``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, at: int) -> None:
        self.inner, self.at, self.sent = inner, at, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        if self.sent == self.at:
            raise RuntimeError("worker killed")
        return await self.inner.handle_async_request(request)


def test_a_crash_mid_sync_resumes_without_loss_or_duplicates(
    sync: Sync, simulator: KingdeeSimulator, db_engine: Engine
) -> None:
    sync("customer")

    with pytest.raises(RuntimeError, match="worker killed"):
        sync("order", transport=CrashOnCall(httpx.ASGITransport(app=simulator.app), at=5))
    resumed = sync("order")

    with db_engine.connect() as conn:
        versions = conn.execute(select(func.count()).select_from(RecordVersion.__table__)  # type: ignore[attr-defined]
                                .where(RecordVersion.__table__.c.entity == "order")).scalar_one()  # type: ignore[attr-defined]
    assert 0 < resumed.counts.created < 120
    assert versions == 120  # each order created once, none twice
    assert len(events(db_engine, "order.created")) == 120


def test_a_full_sync_detects_a_deleted_order(sync: Sync, simulator: KingdeeSimulator, db_engine: Engine) -> None:
    sync("customer")
    sync("order")
    simulator.delete("SAL_SaleOrder", ["XSDD000017"])

    outcome = sync("order", full=True)

    assert outcome.counts.deleted == 1
    assert len(events(db_engine, "order.deleted")) == 1


def _unpaid_confirmed_order(sim: KingdeeSimulator) -> dict[str, Any]:
    paid = {line["FSALEORDERNO"] for r in sim.documents("AR_RECEIVEBILL") for line in r["FRECEIVEBILLENTRY"]}
    return next(o for o in sim.documents("SAL_SaleOrder", FDocumentStatus="C") if o["FBillNo"] not in paid)


def test_receipts_turn_an_order_partial_then_paid_and_fire_order_paid_once(
    tmp_path: Path, engine: Engine, simulator: KingdeeSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync = make_sync(tmp_path, engine, simulator, monkeypatch)
    sync("customer")
    sync("order")
    first = sync("order", receipts=True)
    assert (first.counts.quarantined, first.counts.created) == (0, 0)  # receipts join orders, never create
    target = _unpaid_confirmed_order(simulator)
    number, total = target["FBillNo"], target["FBillAllAmount"]
    paid_before = len(events(engine, "order.paid"))

    simulator.add_receipt(number, round(total * 0.4, 2))
    sync("order", receipts=True)
    partial = order(engine, number)
    simulator.add_receipt(number, round(total - round(total * 0.4, 2), 2))
    sync("order", receipts=True)
    paid = order(engine, number)
    sync("order", receipts=True)  # nothing new: no second order.paid

    assert partial is not None
    assert paid is not None
    assert (partial["payment_status"], partial["paid_amount"]) == ("partial", f"{round(total * 0.4, 2):.2f}")
    assert (paid["payment_status"], paid["paid_amount"]) == ("paid", f"{total:.2f}")
    assert paid["number"] == number
    assert paid["total"] == f"{total:.2f}"  # the order's own fields survive the receipts joining it
    fired = [e for e in events(engine, "order.paid")[paid_before:] if e["data"]["id"] == paid["id"]]
    assert len(fired) == 1


def test_receipts_for_an_order_the_hub_does_not_know_are_quarantined(
    sync: Sync, simulator: KingdeeSimulator
) -> None:
    outcome = sync("order", receipts=True)  # no orders synced yet

    assert outcome.counts.quarantined == outcome.counts.read > 0
