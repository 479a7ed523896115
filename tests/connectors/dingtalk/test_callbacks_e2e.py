"""Callback -> record -> event, end to end: the simulator sends encrypted callbacks into the hub app's
``/callbacks/dingtalk/{connector}`` (httpx.ASGITransport), a worker drains the inbound job and the fetch job,
and the contract and its ``contract.signed`` event are in the store."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from connectors.dingtalk import DingTalkConnector
from connectors.dingtalk.simulator import (
    CONTRACT_CODE,
    LEAVE_CODE,
    CallbackDelivery,
    DingTalkSimulator,
    seal_event,
    send_callback,
)
from hub.api import create_app
from hub.background import job_handlers
from hub.jobs.queue import JOBS
from hub.jobs.worker import Worker
from hub.sdk import registry
from hub.settings import Settings
from hub.sync.engine import SyncRequest, run_sync
from hub.workspace.loader import load_workspace
from tests.connectors.dingtalk.workspace import CONNECTOR, contract, events, write_workspace
from webhooks.inbound.messages import MESSAGES

HUB = "http://hub.test"


class Hub:
    """The hub app on a workspace with the DingTalk connector, and a worker to drain its jobs."""

    def __init__(self, engine: Engine, root: Path, sim: DingTalkSimulator) -> None:
        self.engine, self.root, self.sim = engine, root, sim
        self.settings = Settings(workspace=root)
        self.app = create_app(self.settings, engine=engine)

    def send(self, *events: dict[str, Any], connector: str = CONNECTOR, **options: Any) -> list[CallbackDelivery]:
        """Each event as one DingTalk callback, in order."""
        async def go() -> list[CallbackDelivery]:
            async with self.app.router.lifespan_context(self.app):
                transport = httpx.ASGITransport(app=self.app)
                return [await send_callback(HUB, e, connector=connector, account=self.sim.account,
                                            transport=transport, **options) for e in events]

        return asyncio.run(go())

    def post(self, query: dict[str, str], body: bytes, connector: str = CONNECTOR) -> httpx.Response:
        async def go() -> httpx.Response:
            async with self.app.router.lifespan_context(self.app), httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=self.app), base_url=HUB) as client:
                return await client.post(f"/callbacks/dingtalk/{connector}", params=query, content=body)

        return asyncio.run(go())

    def drain(self) -> None:
        handlers = job_handlers(self.engine, self.settings, transport=httpx.ASGITransport(app=self.sim.app))
        asyncio.run(Worker(self.engine, handlers).drain())

    def sync(self) -> None:
        asyncio.run(run_sync(self.engine, load_workspace(self.root), SyncRequest(CONNECTOR, "contract"),
                             transport=httpx.ASGITransport(app=self.sim.app)))

    def messages(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(MESSAGES).order_by(MESSAGES.c.id)).mappings()]

    def jobs(self, kind: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(JOBS).where(JOBS.c.kind == kind)).mappings()]


@pytest.fixture
def hub(db_engine: Engine, tmp_path: Path, sim: DingTalkSimulator, monkeypatch: pytest.MonkeyPatch) -> Hub:
    monkeypatch.setattr(registry, "connector_types", lambda: {"dingtalk": DingTalkConnector})
    return Hub(db_engine, write_workspace(tmp_path / "ws", sim), sim)


def running_contract(sim: DingTalkSimulator, index: int = 0) -> str:
    return sim.find(process_code=CONTRACT_CODE, status="RUNNING")[index].id


def test_an_approval_passing_becomes_a_signed_contract_with_its_event(hub: Hub, sim: DingTalkSimulator,
                                                                       db_engine: Engine) -> None:
    instance = running_contract(sim)
    event = sim.finish(instance, "agree")

    [delivery] = hub.send(event)
    hub.drain()

    assert (delivery.status, delivery.acknowledged) == (200, True)
    stored = contract(db_engine, instance)
    assert stored is not None
    assert (stored["status"], stored["number"]) == ("signed", sim.instances[instance].form["合同编号"])
    assert [e["data"]["id"] for e in events(db_engine, "contract.signed")] == [stored["id"]]
    [message] = hub.messages()
    assert (message["channel"], message["source"], message["status"]) == ("dingtalk", CONNECTOR, "processed")
    assert message["result"]["action"] == "fetch"
    assert [j["status"] for j in hub.jobs("fetch")] == ["succeeded"]


def test_a_contract_synced_while_approving_is_signed_by_the_callback(hub: Hub, sim: DingTalkSimulator,
                                                                      db_engine: Engine) -> None:
    instance = running_contract(sim, 1)
    hub.sync()
    assert contract(db_engine, instance)["status"] == "approving"  # type: ignore[index]

    hub.send(sim.finish(instance, "agree"))
    hub.drain()

    stored = contract(db_engine, instance)
    assert stored is not None
    assert stored["status"] == "signed"
    assert [e["data"]["id"] for e in events(db_engine, "contract.signed") if e["data"]["id"] == stored["id"]] \
        == [stored["id"]]


def test_a_refused_approval_voids_the_contract_without_a_signed_event(hub: Hub, sim: DingTalkSimulator,
                                                                      db_engine: Engine) -> None:
    instance = running_contract(sim)

    hub.send(sim.finish(instance, "refuse"))
    hub.drain()

    assert contract(db_engine, instance)["status"] == "void"  # type: ignore[index]
    assert events(db_engine, "contract.signed") == []


def test_dingtalks_retries_of_one_callback_are_stored_and_processed_once(hub: Hub, sim: DingTalkSimulator,
                                                                        db_engine: Engine) -> None:
    event = sim.finish(running_contract(sim), "agree")

    deliveries = hub.send(event, event, event)  # DingTalk retried: new nonce, new ciphertext, same event
    hub.drain()

    assert all(d.acknowledged for d in deliveries)  # a retry is answered success too, or DingTalk keeps trying
    assert len(hub.messages()) == 1
    assert len(hub.jobs("fetch")) == 1
    assert len(events(db_engine, "contract.signed")) == 1


def test_check_url_is_acknowledged_and_nothing_is_stored(hub: Hub) -> None:
    [delivery] = hub.send({"EventType": "check_url"})

    assert delivery.acknowledged
    assert hub.messages() == []


def test_a_badly_signed_callback_is_401_and_kept_as_rejected(hub: Hub, sim: DingTalkSimulator) -> None:
    query, body = seal_event(sim.finish(running_contract(sim), "agree"), sim.account,
                             timestamp_ms=int(time.time() * 1000), nonce="abc")
    response = hub.post({**query, "msg_signature": "f" * 40}, body)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "callback_rejected"
    [message] = hub.messages()
    assert message["status"] == "rejected"
    assert hub.jobs("fetch") == []


@pytest.mark.parametrize(("options", "status"), [
    ({"owner_key": "dingotherapp"}, 403),
    ({"timestamp_ms": 1_600_000_000_000}, 401),
], ids=["sealed-for-another-app", "replayed-old-timestamp"])
def test_other_rejections_are_4xx_and_never_acknowledged(hub: Hub, sim: DingTalkSimulator, options: dict[str, Any],
                                                         status: int) -> None:
    [delivery] = hub.send(sim.finish(running_contract(sim), "agree"), **options)

    assert (delivery.status, delivery.acknowledged) == (status, False)
    assert [m["status"] for m in hub.messages()] == ["rejected"]


def test_a_callback_for_an_unknown_connector_is_404(hub: Hub) -> None:
    [delivery] = hub.send({"EventType": "check_url"}, connector="no-such-connector")

    assert delivery.status == 404


def test_events_the_hub_does_not_act_on_are_processed_as_no_ops(hub: Hub, sim: DingTalkSimulator) -> None:
    leave = sim.find(process_code=LEAVE_CODE)[0]
    running = running_contract(sim)
    hub.send(
        sim.instance_event(leave.id, "finish", "agree"),                # a template the connector does not read
        sim.task_event(running, "finish", "agree"),                     # one approver agreed; more may follow
        {"EventType": "user_modify_org", "UserId": ["sales0102"], "CorpId": sim.account.corp_id},
    )

    hub.drain()

    results = [m["result"] for m in hub.messages()]
    assert [m["status"] for m in hub.messages()] == ["processed"] * 3
    assert results[0]["action"] == "ignored"
    assert "process_codes" in results[0]["reason"]
    assert (results[1]["action"], results[1]["change"], results[1]["staff"]) == ("recorded", "finish/agree",
                                                                                 "manager0101")
    assert results[2]["action"] == "ignored"
    assert "user_modify_org" in results[2]["reason"]
    assert hub.jobs("fetch") == []


def test_a_task_refusal_ends_the_instance_and_fetches_it(hub: Hub, sim: DingTalkSimulator,
                                                         db_engine: Engine) -> None:
    instance = running_contract(sim)
    sim.finish(instance, "refuse")

    hub.send(sim.task_event(instance, "finish", "refuse"))
    hub.drain()

    [message] = hub.messages()
    assert (message["result"]["action"], message["result"]["task"]) == ("fetch", sim.instances[instance].tasks[-1]
                                                                         .task_id)
    assert contract(db_engine, instance)["status"] == "void"  # type: ignore[index]
