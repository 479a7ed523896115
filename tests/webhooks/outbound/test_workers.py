"""Workers: concurrency per endpoint, FIFO per record, lease takeover, auto-disable, SSRF at send, replay, purge."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from standardwebhooks import Webhook

from hub.db.types import utcnow
from hub.events.outbox import list_events
from hub.security.secrets import SecretBox
from tests.webhooks.outbound.conftest import Deliver, Emit, MakeDispatcher, Subscribe, deliveries
from tests.webhooks.outbound.receiver import Answer, Received, Receiver
from webhooks.outbound.deliveries import get_delivery, purge, replay, replay_all
from webhooks.outbound.policy import DeliveryPolicy
from webhooks.outbound.queue import AttemptResult, Slots, claim_deliveries, record_results
from webhooks.outbound.subscriptions import find_subscription
from webhooks.outbound.tables import ATTEMPTS, SUBSCRIPTIONS


def test_no_more_than_the_subscriptions_concurrency_is_in_flight_across_workers(
    engine: Engine, subscribe: Subscribe, emit: Emit, make_dispatcher: MakeDispatcher, receiver: Receiver
) -> None:
    subscribe("mes", concurrency=2)
    receiver.default = Answer(204, delay=0.05)
    for i in range(12):
        emit("order.created", record=f"ord_{i}")

    async def two_workers() -> None:
        async with make_dispatcher(name="w1") as one, make_dispatcher(name="w2") as two:
            await asyncio.gather(one.drain(), two.drain())

    asyncio.run(two_workers())

    assert len(receiver.requests) == 12
    assert receiver.max_active == 2
    assert {d["status"] for d in deliveries(engine)} == {"succeeded"}


def test_the_default_concurrency_is_four(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    subscribe("mes")
    receiver.default = Answer(204, delay=0.05)
    for i in range(12):
        emit("order.created", record=f"ord_{i}")

    deliver()

    assert receiver.max_active == 4


def test_an_ordered_subscription_delivers_each_records_events_in_order(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    subscribe("mes", ordered=True, concurrency=4)
    failed: list[int] = []

    def answer(request: Received) -> Answer:
        step = json.loads(request.body)["data"]["step"]
        if json.loads(request.body)["data"]["id"] == "ord_a" and step == 1 and not failed:
            failed.append(step)
            return Answer(500)  # the first event of ord_a fails once
        return Answer(204, delay=0.01)

    receiver.by_path["/mes"] = answer
    for step in (1, 2, 3):
        emit("order.updated", {"step": step}, record="ord_a")
        emit("order.updated", {"step": step}, record="ord_b")

    deliver(max_wait=1)

    def arrivals(record: str) -> list[int]:
        bodies = [json.loads(r.body)["data"] for r in receiver.requests]
        return [b["step"] for b in bodies if b["id"] == record]

    assert arrivals("ord_a") == [1, 1, 2, 3]
    assert arrivals("ord_b") == [1, 2, 3]


def test_an_unordered_subscription_does_not_hold_later_events_back(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    subscribe("mes", concurrency=1)
    receiver.answer(500)
    emit("order.updated", {"step": 1}, record="ord_a")
    emit("order.updated", {"step": 2}, record="ord_a")

    deliver(max_wait=1)

    assert [json.loads(r.body)["data"]["step"] for r in receiver.requests] == [1, 2, 1]


def test_a_killed_workers_deliveries_are_claimed_again_after_the_lease(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    document, _ = subscribe("mes")
    [event_id] = emit("order.created")
    with engine.begin() as conn:  # a worker claims, then dies before sending anything
        [claimed] = claim_deliveries(conn, "dead-worker", {document["id"]: Slots(4)}, now=utcnow(),
                                     lease=timedelta(seconds=0.3))

    deliver()
    assert receiver.requests == []  # still leased to the dead worker

    time.sleep(0.35)
    deliver()

    [request] = receiver.requests
    assert request.headers["webhook-id"] == event_id
    [delivery] = deliveries(engine)
    assert (delivery["status"], delivery["attempts"]) == ("succeeded", 2)

    with engine.begin() as conn:  # the dead worker comes back with a stale result: it changes nothing
        late = AttemptResult(claimed, utcnow(), 5, 500, error="HTTP 500")
        record_results(conn, "dead-worker", [late], policy=DeliveryPolicy(), now=utcnow())
    assert deliveries(engine)[0]["status"] == "succeeded"


def test_an_endpoint_failing_for_longer_than_the_period_is_disabled_and_others_are_told(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    mes, _ = subscribe("mes", events=["order.*"])
    subscribe("ops", events=["endpoint.disabled"], url=receiver.url("/ops"))
    subscribe("all", events=["*"], url=receiver.url("/all"))
    receiver.by_path["/mes"] = lambda _: Answer(500)
    emit("order.created", record="ord_1")
    emit("order.created", record="ord_2")
    with engine.begin() as conn:
        conn.execute(update(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == mes["id"])
                     .values(failing_since=utcnow() - timedelta(days=3, minutes=1)))

    deliver(max_in_flight=1)

    with engine.connect() as conn:
        row = find_subscription(conn, "mes")
        [event] = list_events(conn, types=["endpoint.disabled"])
    assert not row["enabled"]
    assert "longer than 72 h" in row["disabled_reason"]
    assert event["data"]["id"] == mes["id"]
    assert event["data"]["disabled_reason"] == row["disabled_reason"]
    told = [r.path for r in receiver.requests if json.loads(r.body)["type"] == "endpoint.disabled"]
    assert sorted(told) == ["/all", "/ops"]  # not the disabled endpoint itself
    assert {d["status"] for d in deliveries(engine, subscription_id=mes["id"])} == {"cancelled"}


def test_a_success_clears_the_failing_clock(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    subscribe("mes")
    receiver.answer(500)
    emit("order.created")

    deliver()
    with engine.connect() as conn:
        assert find_subscription(conn, "mes")["failing_since"] is not None

    deliver(max_wait=1)
    with engine.connect() as conn:
        assert find_subscription(conn, "mes")["failing_since"] is None


def test_the_ssrf_guard_refuses_at_send_time_without_connecting(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    subscribe("mes")  # saved while 127.0.0.0/8 was allowed
    emit("order.created")

    deliver(allowed=())  # the allow-list no longer names it

    assert receiver.requests == []
    [delivery] = deliveries(engine)
    assert delivery["status"] == "pending"
    assert delivery["last_error"].startswith("blocked by the SSRF guard: 127.0.0.1 is a loopback address")


def test_replay_sends_a_dead_delivery_again_with_the_same_webhook_id(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    _, secret = subscribe("mes")
    receiver.answer(500, 500, 500)
    [event_id] = emit("order.created")
    deliver(max_wait=1)
    [dead] = deliveries(engine)
    assert dead["status"] == "dead"

    with engine.begin() as conn:
        replay(conn, [dead["id"]], now=utcnow())
    deliver()

    assert [r.headers["webhook-id"] for r in receiver.requests] == [event_id] * 4
    Webhook(secret).verify(receiver.requests[-1].body, receiver.requests[-1].headers)
    [delivery] = deliveries(engine)
    assert (delivery["status"], delivery["attempts"]) == ("succeeded", 1)
    assert delivery["replayed_at"] is not None
    with engine.connect() as conn:
        assert len(get_delivery(conn, dead["id"])["attempt_log"]) == 4


def test_replay_all_dead_replays_only_dead_ones(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    subscribe("mes")
    receiver.answer(*[500] * 3)
    emit("order.created", record="ord_1")
    deliver(max_wait=1, max_in_flight=1)
    emit("order.created", record="ord_2")
    deliver()

    with engine.begin() as conn:
        replayed = replay_all(conn, status="dead", now=utcnow())

    assert replayed == [d["id"] for d in deliveries(engine, record_id="ord_1")]


@pytest.mark.parametrize("status", ["pending"])
def test_a_pending_delivery_cannot_be_replayed(engine: Engine, subscribe: Subscribe, emit: Emit,
                                               status: str) -> None:
    from hub.errors import ConflictError

    subscribe("mes")
    emit("order.created")
    [delivery] = deliveries(engine)

    with pytest.raises(ConflictError, match=status), engine.begin() as conn:
        replay(conn, [delivery["id"]], now=utcnow())


def test_purge_removes_old_attempts_and_delivered_bodies_and_replay_restores_the_body(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    subscribe("mes")
    emit("order.created", {"number": "SO-1"})
    deliver()
    [delivered] = deliveries(engine)

    with engine.begin() as conn:
        purged = purge(conn, before=utcnow() + timedelta(seconds=1))

    assert (purged.attempts, purged.bodies) == (1, 1)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ATTEMPTS)).scalar() == 0
    assert deliveries(engine)[0]["body"] is None

    with engine.begin() as conn:
        replay(conn, [delivered["id"]], now=utcnow())
    deliver()

    assert json.loads(receiver.requests[-1].body) == json.loads(delivered["body"])


def test_purge_keeps_recent_attempts_and_pending_bodies(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    subscribe("mes")
    receiver.answer(500)
    emit("order.created")
    deliver()

    with engine.begin() as conn:
        purged = purge(conn, before=utcnow() - timedelta(days=30))

    assert (purged.attempts, purged.bodies) == (0, 0)
    assert deliveries(engine)[0]["body"] is not None


def test_a_disabled_subscriptions_waiting_deliveries_go_out_when_enabled(
    engine: Engine, box: SecretBox, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    from webhooks.outbound.subscriptions import set_enabled

    subscribe("mes")
    emit("order.created")
    with engine.begin() as conn:
        set_enabled(conn, box, "mes", False, now=utcnow())
    deliver()
    assert receiver.requests == []

    with engine.begin() as conn:
        set_enabled(conn, box, "mes", True, now=utcnow())
    deliver()

    assert len(receiver.requests) == 1


def test_run_delivers_as_events_arrive_and_stop_finishes_what_is_in_flight(
    engine: Engine, subscribe: Subscribe, emit: Emit, make_dispatcher: MakeDispatcher, receiver: Receiver
) -> None:
    subscribe("mes")
    receiver.default = Answer(204, delay=0.1)

    async def scenario() -> None:
        dispatcher = make_dispatcher(poll_interval=0.05)
        task = asyncio.create_task(dispatcher.run())
        await asyncio.to_thread(emit, "order.created", record="ord_1")
        for _ in range(100):
            if receiver.requests:
                break
            await asyncio.sleep(0.02)
        dispatcher.stop()
        await task

    asyncio.run(scenario())

    assert [d["status"] for d in deliveries(engine)] == ["succeeded"]  # recorded before run() returned


def test_from_settings_syncs_hub_yaml_when_it_starts(
    engine: Engine, tmp_path: Path, receiver: Receiver, emit: Emit
) -> None:
    from pydantic import SecretStr

    from hub.settings import Settings
    from webhooks.outbound.dispatcher import Dispatcher

    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "hub.yaml").write_text(
        f"subscriptions:\n  mes:\n    url: {receiver.url('/mes')}\n    events: ['order.*']\n"
        "webhooks:\n  retry_schedule: [1]\n", encoding="utf-8")
    settings = Settings(workspace=workspace, secret_key=SecretStr(SecretBox.generate_key()),
                        webhook_allow_networks="127.0.0.0/8")

    async def scenario() -> None:
        async with Dispatcher.from_settings(engine, settings) as dispatcher:
            assert dispatcher.policy.retry_schedule == (1.0,)
            await dispatcher.drain()  # syncs hub.yaml first
            await asyncio.to_thread(emit, "order.created")
            await dispatcher.drain()

    asyncio.run(scenario())

    assert [r.path for r in receiver.requests] == ["/mes"]
