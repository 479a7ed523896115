"""The connector under the hub's sync engine: simulator → mapping → store, full then incremental."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from connectors.erp.yonyou import YonyouConnector
from connectors.erp.yonyou.simulator import APP_KEY, APP_SECRET, TENANT_ID, SimulatorState, create_app
from hub.sdk import registry
from hub.sync.engine import SyncOutcome, SyncRequest, run_sync
from hub.workspace.loader import load_workspace

HUB_YAML = f"""
connectors:
  yonyou-main:
    type: yonyou
    settings:
      base_url: http://yonyou.test
      tenant_id: {TENANT_ID}
      app_key: {APP_KEY}
      app_secret: ${{YONYOU_APP_SECRET}}
      page_size: 50
    entities:
      customer: {{mapping: yonyou-customer}}
      order: {{mapping: yonyou-sales-order}}
"""


@pytest.fixture
def sync(tmp_path: Path, db_engine: Engine, sim: SimulatorState,
         monkeypatch: pytest.MonkeyPatch) -> Callable[..., SyncOutcome]:
    monkeypatch.setattr(registry, "connector_types", lambda: {"yonyou": YonyouConnector})
    (tmp_path / "hub.yaml").write_text(HUB_YAML, encoding="utf-8")
    workspace = load_workspace(tmp_path, env={"YONYOU_APP_SECRET": APP_SECRET})

    def run(entity: str, *, full: bool = False) -> SyncOutcome:
        return asyncio.run(run_sync(db_engine, workspace, SyncRequest("yonyou-main", entity, full=full),
                                    transport=httpx.ASGITransport(app=create_app(sim))))

    return run


def test_customers_then_orders_land_and_a_change_lands_as_an_update(sync: Callable[..., SyncOutcome],
                                                                     sim: SimulatorState) -> None:
    customers = sync("customer")
    orders = sync("order")

    assert (customers.counts.read, customers.counts.created) == (len(sim.customers), len(sim.customers))
    assert (orders.counts.created, orders.counts.quarantined) == (len(sim.orders), 0)

    order_id = next(i for i, o in sim.orders.items() if o["nextStatusName"] != "ENDORDER")
    sim.modify("orders", order_id, {"nextStatusName": "ENDORDER"})
    again = sync("order")

    assert (again.counts.read, again.counts.updated) == (1, 1)
    assert sync("customer").counts.read == 0  # nothing changed


def test_a_full_sync_detects_a_deleted_customer(sync: Callable[..., SyncOutcome], sim: SimulatorState) -> None:
    sync("customer")
    sim.delete("customers", sorted(sim.customers)[0])

    outcome = sync("customer", full=True)

    assert outcome.counts.deleted == 1
