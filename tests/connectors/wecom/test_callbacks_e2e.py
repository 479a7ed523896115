"""Callbacks end to end: the simulator encrypts and POSTs to the hub app (ASGITransport), the hub
stores the event, a worker processes it and runs the fetch job against the simulator, and the
record and its events land."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from connectors.wecom import WeComConnector
from connectors.wecom.simulator import CONTRACT_TEMPLATE, LEAVE_TEMPLATE, WeComSimulator, event_xml
from hub.api import create_app
from hub.background import job_handlers
from hub.events.outbox import list_events
from hub.jobs import Worker
from hub.sdk import registry
from hub.settings import Settings
from hub.store import find_by_ref
from tests.connectors.wecom.workspace import CONNECTOR, write_workspace
from webhooks.inbound.messages import MESSAGES

URL = f"http://hub.test/callbacks/wecom/{CONNECTOR}"


class Hub:
    """The hub app on a migrated database, a workspace with the connector, and a worker to drain."""

    def __init__(self, root: Path, engine: Engine, sim: WeComSimulator) -> None:
        self.engine, self.sim = engine, sim
        self.settings = Settings(workspace=root)
        self.app = create_app(self.settings, engine=engine)
        self.transport = httpx.ASGITransport(app=self.app)

    async def send(self, event: dict[str, Any] | bytes, **options: Any) -> httpx.Response:
        return await self.sim.send_callback(URL, event, transport=self.transport, **options)

    async def drain(self) -> None:
        """Process the stored callbacks, then the fetch jobs they queued (against the simulator)."""
        handlers = job_handlers(self.engine, self.settings, transport=httpx.ASGITransport(app=self.sim.app))
        await Worker(self.engine, handlers).drain()

    def messages(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(MESSAGES).order_by(MESSAGES.c.id)).mappings()]

    def record(self, entity: str, external_id: str, obj: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            return find_by_ref(conn, entity, "wecom", external_id, obj)

    def events(self, *types: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return list_events(conn, types=types, limit=10_000)


Scenario = Callable[[Hub], Awaitable[None]]


@pytest.fixture
def run(tmp_path: Path, db_engine: Engine, sim: WeComSimulator, monkeypatch: pytest.MonkeyPatch
        ) -> Callable[[Scenario], None]:
    monkeypatch.setattr(registry, "connector_types", lambda: {"wecom": WeComConnector})
    hub = Hub(write_workspace(tmp_path / "ws", sim), db_engine, sim)

    @asynccontextmanager
    async def serving() -> AsyncIterator[None]:
        async with hub.app.router.lifespan_context(hub.app):  # ASGITransport sends no lifespan events
            yield

    def go(scenario: Scenario) -> None:
        async def main() -> None:
            async with serving():
                await scenario(hub)

        asyncio.run(main())

    return go


def test_url_verification_answers_the_plaintext_alone(run: Callable[[Scenario], None], sim: WeComSimulator) -> None:
    async def scenario(hub: Hub) -> None:
        plaintext, response = await sim.verify_url(URL, transport=hub.transport)

        assert response.status_code == 200
        assert response.content == plaintext.encode()  # no quotes, BOM or newline
        assert hub.messages() == []  # nothing to process

    run(scenario)


def test_a_contact_added_becomes_a_customer_with_its_created_event(run: Callable[[Scenario], None],
                                                                   sim: WeComSimulator) -> None:
    async def scenario(hub: Hub) -> None:
        contact_id, event = sim.add_contact(sim.follow_staff[1]["userid"])

        response = await hub.send(event)
        assert (response.status_code, response.content) == (200, b"")
        assert hub.record("customer", contact_id, "external_contact") is None  # stored first, processed later
        await hub.drain()

        customer = hub.record("customer", contact_id, "external_contact")
        assert customer is not None
        assert customer["owner"] == sim.follow_staff[1]["userid"]
        [created] = hub.events("customer.created")
        assert created["data"]["id"] == customer["id"]
        [message] = hub.messages()
        assert message["status"] == "processed"
        assert message["result"]["fetch"]["ids"] == [contact_id]

    run(scenario)


def test_a_contact_edited_becomes_a_customer_updated_event(run: Callable[[Scenario], None],
                                                           sim: WeComSimulator) -> None:
    async def scenario(hub: Hub) -> None:
        contact_id, added = sim.add_contact()
        await hub.send(added)
        await hub.drain()

        await hub.send(sim.edit_contact(contact_id, remark_mobiles=["13812345678"]))
        await hub.drain()

        customer = hub.record("customer", contact_id, "external_contact")
        assert customer is not None
        assert customer["phones"] == ["+8613812345678"]
        [updated] = hub.events("customer.updated")
        assert updated["data"]["id"] == customer["id"]
        assert updated["changes"]["phones"]["new"] == ["+8613812345678"]

    run(scenario)


def test_the_last_follower_removing_a_contact_deletes_the_customer(run: Callable[[Scenario], None],
                                                                   sim: WeComSimulator) -> None:
    async def scenario(hub: Hub) -> None:
        contact_id, added = sim.add_contact()
        await hub.send(added)
        await hub.drain()

        await hub.send(sim.remove_follow(contact_id, sim.follow_staff[0]["userid"], by_customer=True))
        await hub.drain()

        assert len(hub.events("customer.deleted")) == 1
        assert hub.messages()[-1]["result"]["tombstoned"]["count"] == 1

    run(scenario)


def test_one_of_several_followers_leaving_updates_the_customer_instead(run: Callable[[Scenario], None],
                                                                       sim: WeComSimulator) -> None:
    contact_id = next(i for i, follows in sorted(sim.follows.items()) if len(follows) > 1)
    ordered = sorted(sim.follows[contact_id], key=lambda f: (f["createtime"], f["userid"]))

    async def scenario(hub: Hub) -> None:
        await hub.send(sim.contact_event("edit_external_contact", contact_id, ordered[0]["userid"]))
        await hub.drain()

        await hub.send(sim.remove_follow(contact_id, ordered[0]["userid"]))
        await hub.drain()

        customer = hub.record("customer", contact_id, "external_contact")
        assert customer is not None
        assert customer["owner"] == ordered[1]["userid"]
        assert hub.events("customer.deleted") == []
        assert len(hub.events("customer.updated")) == 1

    run(scenario)


def test_an_approved_contract_approval_fires_contract_signed(run: Callable[[Scenario], None],
                                                            sim: WeComSimulator) -> None:
    async def scenario(hub: Hub) -> None:
        sp_no = sim.add_approval(CONTRACT_TEMPLATE)
        await hub.send(sim.approval_event(sp_no))
        await hub.drain()
        contract = hub.record("contract", sp_no, "approval")
        assert contract is not None
        assert contract["status"] == "approving"

        await hub.send(sim.decide(sp_no, 2))
        await hub.drain()

        contract = hub.record("contract", sp_no, "approval")
        assert contract is not None
        assert (contract["status"], contract["signed_at"] is not None) == ("signed", True)
        [signed] = hub.events("contract.signed")
        assert signed["data"]["id"] == contract["id"]

    run(scenario)


def test_approvals_of_other_templates_and_unknown_events_are_processed_as_no_ops(
    run: Callable[[Scenario], None], sim: WeComSimulator
) -> None:
    async def scenario(hub: Hub) -> None:
        leave = sim.add_approval(LEAVE_TEMPLATE)
        await hub.send(sim.decide(leave, 2))
        await hub.send({"ToUserName": sim.account.corp_id, "FromUserName": "zhangsan", "CreateTime": 1715000000,
                        "MsgType": "event", "Event": "enter_agent", "AgentID": sim.account.agent_id})
        await hub.drain()

        results = {m["result"]["event"]: m["result"] for m in hub.messages()}
        assert [m["status"] for m in hub.messages()] == ["processed", "processed"]
        assert "not in approval_templates" in results["sys_approval_change"]["ignored"]
        assert "does not use this event" in results["enter_agent"]["ignored"]
        assert hub.record("contract", leave, "approval") is None

    run(scenario)


def test_wecoms_retries_of_one_event_are_stored_once(run: Callable[[Scenario], None], sim: WeComSimulator) -> None:
    async def scenario(hub: Hub) -> None:
        _, event = sim.add_contact()
        message = event_xml(event)

        answers = [await hub.send(message) for _ in range(3)]  # each try encrypted afresh

        assert [a.status_code for a in answers] == [200, 200, 200]
        assert len(hub.messages()) == 1
        await hub.drain()
        assert len(hub.events("customer.created")) == 1

    run(scenario)


def test_a_signed_event_that_is_not_well_formed_is_stored_then_quarantined(run: Callable[[Scenario], None]) -> None:
    async def scenario(hub: Hub) -> None:
        response = await hub.send(b"<xml><MsgType>event</MsgType><Event>change_external_contact</xml>")
        assert response.status_code == 200  # WeCom signed it: keep it for the admin rather than refuse it
        await hub.drain()

        [message] = hub.messages()
        assert (message["status"], message["error"]["kind"]) == ("quarantined", "payload")
        assert "not well-formed" in message["error"]["message"]

    run(scenario)


@pytest.mark.parametrize(("options", "status", "reason"), [
    pytest.param({"timestamp": "1409659813"}, 401, "timestamp", id="replayed-old-timestamp"),
    pytest.param({"receive_id": "wwsomeothercorp000"}, 403, "receive_id", id="sealed-for-another-corp"),
])
def test_a_rejected_callback_is_a_4xx_kept_as_rejected(options: dict[str, Any], status: int, reason: str,
                                                       run: Callable[[Scenario], None], sim: WeComSimulator) -> None:
    async def scenario(hub: Hub) -> None:
        _, event = sim.add_contact()

        response = await hub.send(event, **options)

        assert response.status_code == status
        assert response.json()["error"]["code"] == "callback_rejected"
        [kept] = hub.messages()
        assert (kept["status"], kept["error"]["reason"]) == ("rejected", reason)

    run(scenario)


def test_a_callback_with_a_wrong_signature_is_401(run: Callable[[Scenario], None], sim: WeComSimulator) -> None:
    async def scenario(hub: Hub) -> None:
        envelope = b"<xml><Encrypt><![CDATA[" + b"A" * 64 + b"]]></Encrypt></xml>"
        async with httpx.AsyncClient(transport=hub.transport) as client:
            response = await client.post(URL, content=envelope, params={
                "msg_signature": "0" * 40, "timestamp": str(int(sim.clock())), "nonce": "1"})

        assert response.status_code == 401
        assert hub.messages()[0]["error"]["reason"] == "signature"

    run(scenario)
