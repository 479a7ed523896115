"""The connector under the hub's sync engine: simulator -> shipped mapping (dingtalk-contract) -> contracts.

Full and incremental syncs, contract.signed when an approval passes (at once or later), and tokens
expiring mid-sync (throttling: test_streams.py, which need not wait for real).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from connectors.dingtalk import DingTalkConnector
from connectors.dingtalk.simulator import CONTRACT_CODE, DingTalkSimulator
from hub.sdk import registry
from hub.sync.engine import SyncOutcome, SyncRequest, run_sync
from hub.workspace.loader import load_workspace
from tests.connectors.dingtalk.workspace import CONNECTOR, contract, events, write_workspace

Sync = Callable[..., SyncOutcome]


@pytest.fixture
def sync(tmp_path: Path, db_engine: Engine, sim: DingTalkSimulator, monkeypatch: pytest.MonkeyPatch) -> Sync:
    monkeypatch.setattr(registry, "connector_types", lambda: {"dingtalk": DingTalkConnector})
    workspace = load_workspace(write_workspace(tmp_path / "ws", sim))

    def run(*, full: bool = False) -> SyncOutcome:
        return asyncio.run(run_sync(db_engine, workspace, SyncRequest(CONNECTOR, "contract", full=full),
                                    transport=httpx.ASGITransport(app=sim.app)))

    return run


def test_a_full_sync_lands_every_contract_approval_with_its_status(sync: Sync, sim: DingTalkSimulator,
                                                                   db_engine: Engine) -> None:
    outcome = sync(full=True)

    contracts = sim.find(process_code=CONTRACT_CODE)
    assert (outcome.counts.created, outcome.counts.quarantined) == (len(contracts), 0)
    expected = {("COMPLETED", "agree"): "signed", ("COMPLETED", "refuse"): "void", ("TERMINATED", ""): "void",
                ("RUNNING", ""): "approving", ("NEW", ""): "approving"}
    for instance in contracts:
        stored = contract(db_engine, instance.id)
        assert stored is not None
        assert stored["status"] == expected[(instance.status, instance.result)]
        assert stored["number"] == instance.form["合同编号"]
        assert stored["amount"] == instance.form["合同金额"]
        assert (stored["signed_at"] is not None) == (stored["status"] == "signed")
    signed = [i for i in contracts if i.result == "agree"]
    assert len(events(db_engine, "contract.signed")) == len(signed) > 0


def test_an_approval_passing_later_signs_the_contract_in_the_next_incremental_sync(
    sync: Sync, sim: DingTalkSimulator, db_engine: Engine
) -> None:
    sync()
    running = sim.find(process_code=CONTRACT_CODE, status="RUNNING")[0]
    signed_before = len(events(db_engine, "contract.signed"))
    sim.finish(running.id, "agree")

    outcome = sync()

    stored = contract(db_engine, running.id)
    assert stored is not None
    assert stored["status"] == "signed"
    assert outcome.counts.updated == 1
    fired = [e for e in events(db_engine, "contract.signed")[signed_before:] if e["data"]["id"] == stored["id"]]
    assert len(fired) == 1


def test_an_incremental_sync_with_nothing_changed_changes_nothing(sync: Sync, db_engine: Engine) -> None:
    sync()
    before = len(events(db_engine))

    again = sync()

    assert (again.counts.created, again.counts.updated) == (0, 0)
    assert len(events(db_engine)) == before


def test_tokens_expiring_mid_sync_are_refreshed_and_nothing_is_lost(sync: Sync, sim: DingTalkSimulator,
                                                                     db_engine: Engine) -> None:
    sim.knobs.token_max_calls = 9  # every token dies after 9 calls: several refreshes per sync

    first = sync(full=True)
    sim.expire_tokens()  # and all of them at once between syncs
    again = sync(full=True)

    contracts = sim.find(process_code=CONTRACT_CODE)
    assert (first.counts.created, first.counts.quarantined) == (len(contracts), 0)
    assert all(contract(db_engine, i.id) is not None for i in contracts)
    assert (again.counts.created, again.counts.updated, again.counts.quarantined) == (0, 0, 0)
    assert sim.gateway.issued["v1.0"] > 5
