"""The connector under the hub's sync engine: simulator -> shipped mappings -> store, with events."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from connectors.wecom import WeComConnector
from connectors.wecom.simulator import CONTRACT_TEMPLATE, WeComSimulator
from hub.events.outbox import list_events
from hub.sdk import registry
from hub.store import find_by_ref
from hub.store.upsert import SourceRecord, upsert_records
from hub.sync.engine import SyncOutcome, SyncRequest, run_sync
from hub.workspace.loader import Workspace, load_workspace
from tests.connectors.wecom.workspace import CONNECTOR, write_workspace

IDENTITY = """\
identity:
  customer:
    match: [tax_id, phone, name]
"""


class Sync:
    """``sync(entity, full=...)``: one run of the real sync engine against the simulator."""

    def __init__(self, engine: Engine, workspace: Workspace, sim: WeComSimulator) -> None:
        self.engine, self.workspace, self.sim = engine, workspace, sim

    def __call__(self, entity: str, *, full: bool = False) -> SyncOutcome:
        return asyncio.run(run_sync(self.engine, self.workspace, SyncRequest(CONNECTOR, entity, full=full),
                                    transport=httpx.ASGITransport(app=self.sim.app)))


@pytest.fixture
def sync(tmp_path: Path, db_engine: Engine, sim: WeComSimulator, monkeypatch: pytest.MonkeyPatch) -> Sync:
    monkeypatch.setattr(registry, "connector_types", lambda: {"wecom": WeComConnector})
    return Sync(db_engine, load_workspace(write_workspace(tmp_path / "ws", sim, extra=IDENTITY)), sim)


def stored(engine: Engine, entity: str, external_id: str, obj: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return find_by_ref(conn, entity, "wecom", external_id, obj)


def events(engine: Engine, *types: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return list_events(conn, types=types, limit=10_000)


def contracts(sim: WeComSimulator, *statuses: int) -> list[str]:
    return sorted(s for s, i in sim.sp.items() if i["template_id"] == CONTRACT_TEMPLATE
                  and (not statuses or i["sp_status"] in statuses))


def test_a_full_customer_sync_stores_every_contact_with_company_phones_tags_and_owner(
    sync: Sync, sim: WeComSimulator, db_engine: Engine
) -> None:
    outcome = sync("customer", full=True)

    assert (outcome.counts.created, outcome.counts.quarantined) == (len(sim.external), 0)
    contact_id = next(i for i, c in sorted(sim.external.items())
                      if c.get("corp_full_name") and any(f["remark_mobiles"] for f in sim.follows[i]))
    customer = stored(db_engine, "customer", contact_id, "external_contact")
    assert customer is not None
    first = min(sim.follows[contact_id], key=lambda f: (f["createtime"], f["userid"]))
    mobile = next(m for f in sim.follows[contact_id] for m in f["remark_mobiles"])
    assert customer["name"] == sim.external[contact_id]["corp_full_name"]
    assert customer["owner"] == first["userid"]
    assert f"+86{mobile}" in customer["phones"]
    assert customer["attributes"]["contact_name"] == sim.external[contact_id]["name"]
    assert len(events(db_engine, "customer.created")) == len(sim.external)


def test_contacts_join_the_erps_customers_by_phone_or_company_name(sync: Sync, sim: WeComSimulator,
                                                                   db_engine: Engine) -> None:
    by_phone = next(i for i in sorted(sim.external) if any(f["remark_mobiles"] for f in sim.follows[i]))
    mobile = next(m for f in sim.follows[by_phone] for m in f["remark_mobiles"])
    by_name = next(i for i in sorted(sim.external) if i != by_phone and sim.external[i].get("corp_full_name")
                   and not any(f["remark_mobiles"] for f in sim.follows[i]))
    with db_engine.begin() as conn:
        erp = upsert_records(conn, "customer", [
            SourceRecord("kingdee", "BD_Customer", "C001", {"name": "老客户甲", "phones": [f"+86{mobile}"]}),
            SourceRecord("kingdee", "BD_Customer", "C002", {"name": sim.external[by_name]["corp_full_name"]}),
        ], sync.workspace.store_rules)

    sync("customer", full=True)

    joined = [stored(db_engine, "customer", i, "external_contact") for i in (by_phone, by_name)]
    assert [c["id"] if c else None for c in joined] == [r.record_id for r in erp]


def test_a_wechat_user_is_named_by_the_company_the_employee_noted(sync: Sync, sim: WeComSimulator,
                                                                  db_engine: Engine) -> None:
    sync("customer", full=True)

    contact_id = next(i for i, c in sorted(sim.external.items()) if c["type"] == 1)
    customer = stored(db_engine, "customer", contact_id, "external_contact")

    assert customer is not None
    assert customer["name"] == sim.follows[contact_id][0]["remark_corp_name"]


def test_an_edited_contact_lands_as_an_update_on_the_next_sync(sync: Sync, sim: WeComSimulator,
                                                               db_engine: Engine) -> None:
    sync("customer", full=True)
    contact_id = sorted(sim.external)[3]
    sim.edit_contact(contact_id, remark_mobiles=["13912345678"])

    again = sync("customer")

    assert (again.counts.read, again.counts.updated, again.counts.created) == (len(sim.external), 1, 0)
    customer = stored(db_engine, "customer", contact_id, "external_contact")
    assert customer is not None
    assert "+8613912345678" in customer["phones"]
    [updated] = events(db_engine, "customer.updated")
    assert "phones" in updated["changes"]


def test_a_full_sync_tombstones_a_contact_no_employee_follows_any_more(sync: Sync, sim: WeComSimulator,
                                                                       db_engine: Engine) -> None:
    sync("customer", full=True)
    gone = sorted(sim.external)[5]
    for follow in list(sim.follows[gone]):
        sim.remove_follow(gone, follow["userid"])

    outcome = sync("customer", full=True)

    assert outcome.counts.deleted == 1
    assert len(events(db_engine, "customer.deleted")) == 1


def test_a_full_contract_sync_stores_approvals_and_fires_contract_signed_for_approved_ones(
    sync: Sync, sim: WeComSimulator, db_engine: Engine
) -> None:
    outcome = sync("contract", full=True)

    assert (outcome.counts.created, outcome.counts.quarantined) == (len(contracts(sim)), 0)
    approved = contracts(sim, 2)
    contract = stored(db_engine, "contract", approved[0], "approval")
    assert contract is not None
    values = {c["id"]: c["value"] for c in sim.sp[approved[0]]["apply_data"]["contents"]}
    assert contract["number"] == values["Text-1570000000001"]["text"]
    assert contract["amount"] == values["Money-1570000000003"]["new_money"]
    assert (contract["status"], contract["signed_at"] is not None) == ("signed", True)
    assert len(events(db_engine, "contract.signed")) == len(approved)
    in_review = stored(db_engine, "contract", contracts(sim, 1)[0], "approval")
    assert in_review is not None
    assert (in_review["status"], in_review["signed_at"]) == ("approving", None)


def test_an_incremental_contract_sync_brings_approvals_decided_and_applied_since(
    sync: Sync, sim: WeComSimulator, db_engine: Engine
) -> None:
    sync("contract")
    waiting = contracts(sim, 1)[0]
    signed_before = len(events(db_engine, "contract.signed"))
    sim.decide(waiting, 2)
    new = sim.add_approval(CONTRACT_TEMPLATE)

    again = sync("contract")

    assert (again.counts.created, again.counts.updated) == (1, 1)
    contract = stored(db_engine, "contract", waiting, "approval")
    assert contract is not None
    assert contract["status"] == "signed"
    signed = events(db_engine, "contract.signed")[signed_before:]
    assert [e["data"]["id"] for e in signed] == [contract["id"]]
    assert stored(db_engine, "contract", new, "approval") is not None


def test_an_incremental_contract_sync_with_nothing_changed_changes_nothing(sync: Sync, db_engine: Engine) -> None:
    sync("contract")
    before = len(events(db_engine))

    again = sync("contract")

    assert (again.counts.created, again.counts.updated, again.counts.quarantined) == (0, 0, 0)
    assert len(events(db_engine)) == before
