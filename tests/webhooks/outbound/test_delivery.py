"""Delivery to a real local receiver: signatures, headers, and every status-code rule."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from standardwebhooks import Webhook

from hub.db.types import utcnow
from hub.events.outbox import list_events
from hub.security.secrets import SecretBox
from tests.webhooks.outbound.conftest import Deliver, Emit, Subscribe, deliveries
from tests.webhooks.outbound.receiver import Answer, Receiver
from webhooks.outbound.subscriptions import find_subscription, rotate_secret
from webhooks.outbound.tables import ATTEMPTS


def attempts(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(ATTEMPTS).order_by(ATTEMPTS.c.id)).mappings()]


def test_the_request_is_signed_and_verifies_with_the_reference_library(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    _, secret = subscribe("mes", events=["order.*"], headers={"X-Tenant": "acme", "Authorization": "Bearer t0k"})
    [event_id] = emit("order.confirmed", {"number": "SO-1", "note": "加急"})

    deliver()

    [request] = receiver.requests
    assert request.headers["webhook-id"] == event_id
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 10
    assert request.headers["content-type"] == "application/json"
    assert (request.headers["x-tenant"], request.headers["authorization"]) == ("acme", "Bearer t0k")
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "order.confirmed"
    assert payload["data"]["note"] == "加急"
    assert request.body.decode() == deliveries(engine)[0]["body"]  # exactly the bytes signed


def test_a_2xx_answer_succeeds_and_the_attempt_is_recorded(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    subscribe("mes")
    receiver.answer(Answer(200, body=b'{"ok": true}' + b"x" * 5000))
    emit("order.created")

    deliver()

    [delivery] = deliveries(engine)
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == ("succeeded", 1, 200)
    assert delivery["delivered_at"] is not None
    assert delivery["lease_owner"] is None
    [attempt] = attempts(engine)
    assert attempt["status_code"] == 200
    assert attempt["error"] is None
    assert isinstance(attempt["latency_ms"], int)
    assert attempt["latency_ms"] >= 0
    assert isinstance(attempt["response_body"], str)
    assert attempt["response_body"].startswith('{"ok": true}')
    assert len(attempt["response_body"]) <= 1024  # truncated


def test_a_redirect_is_a_failure_and_is_not_followed(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    subscribe("mes")
    receiver.answer(Answer(302, headers={"Location": receiver.url("/elsewhere")}))
    emit("order.created")

    deliver()

    assert [r.path for r in receiver.requests] == ["/mes"]
    [delivery] = deliveries(engine)
    assert (delivery["status"], delivery["last_status_code"]) == ("pending", 302)
    assert "redirects are not followed" in delivery["last_error"]


def test_a_500_is_retried_on_the_schedule_until_it_succeeds(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    subscribe("mes")
    receiver.answer(500, 500)  # then the default 204
    [event_id] = emit("order.created")

    deliver(max_wait=1)

    assert [r.headers["webhook-id"] for r in receiver.requests] == [event_id] * 3
    assert [a["status_code"] for a in attempts(engine)] == [500, 500, 204]
    assert [a["attempt"] for a in attempts(engine)] == [1, 2, 3]
    assert deliveries(engine)[0]["status"] == "succeeded"


def test_after_the_schedule_the_delivery_is_dead(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    subscribe("mes")
    receiver.default = Answer(500)
    emit("order.created")

    deliver(max_wait=1)

    [delivery] = deliveries(engine)
    assert delivery["status"] == "dead"
    assert delivery["attempts"] == 3  # the first, then one per delay of the schedule (0.05, 0.05)
    assert "gave up after 3 attempts" in delivery["last_error"]
    assert len(receiver.requests) == 3


def test_the_retry_delay_follows_the_schedule_with_jitter(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    from webhooks.outbound.policy import DeliveryPolicy

    subscribe("mes")
    receiver.default = Answer(500)
    emit("order.created")
    before = utcnow()

    deliver(policy=DeliveryPolicy(retry_schedule=(300, 1800)))

    wait = (deliveries(engine)[0]["next_attempt_at"] - before).total_seconds()
    assert 270 <= wait <= 331  # 300 s +-10 %


@pytest.mark.parametrize("status", [429, 503])
def test_slow_down_answers_honour_retry_after(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver, status: int
) -> None:
    subscribe("mes")
    receiver.answer(Answer(status, headers={"Retry-After": "120"}))
    emit("order.created")
    before = utcnow()

    deliver()

    [delivery] = deliveries(engine)
    assert (delivery["status"], delivery["last_status_code"]) == ("pending", status)
    assert 119 <= (delivery["next_attempt_at"] - before).total_seconds() <= 125


def test_410_gone_disables_the_subscription_and_cancels_what_waits(
    engine: Engine, box: SecretBox, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    subscribe("mes", events=["order.*"])
    subscribe("ops", events=["endpoint.disabled"], url=receiver.url("/ops"))
    receiver.answer(Answer(410, delay=0.2))
    emit("order.created", record="ord_1")
    emit("order.created", record="ord_2")

    deliver(max_in_flight=1)

    with engine.connect() as conn:
        mes = find_subscription(conn, "mes")
        announced = list_events(conn, types=["endpoint.disabled"])
    assert not mes["enabled"]
    assert "410 Gone" in mes["disabled_reason"]
    assert {d["status"] for d in deliveries(engine, subscription_id=mes["id"])} == {"cancelled"}
    assert [r.path for r in receiver.requests] == ["/mes", "/ops"]  # the second order never went out
    assert announced[0]["data"]["name"] == "mes"
    ops_request = receiver.requests[1]
    assert json.loads(ops_request.body)["type"] == "endpoint.disabled"


def test_during_rotation_both_secrets_sign_and_either_verifies(
    engine: Engine, box: SecretBox, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    _, old = subscribe("mes")
    with engine.begin() as conn:
        _, new = rotate_secret(conn, box, "mes", overlap=timedelta(hours=24), now=utcnow())
    emit("order.created")

    deliver()

    [request] = receiver.requests
    signatures = request.headers["webhook-signature"].split()
    assert len(signatures) == 2
    Webhook(old).verify(request.body, request.headers)
    Webhook(new).verify(request.body, request.headers)
    only_new = {**request.headers, "webhook-signature": signatures[0]}
    Webhook(new).verify(request.body, only_new)  # the new secret signs first


def test_after_the_overlap_only_the_new_secret_signs(
    engine: Engine, box: SecretBox, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    from standardwebhooks.webhooks import WebhookVerificationError

    _, old = subscribe("mes")
    with engine.begin() as conn:
        _, new = rotate_secret(conn, box, "mes", overlap=timedelta(hours=24), now=utcnow() - timedelta(hours=25))
    emit("order.created")

    deliver()

    [request] = receiver.requests
    Webhook(new).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(request.body, request.headers)


def test_ed25519_subscriptions_also_carry_a_v1a_signature(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    from webhooks.signatures import verify

    document, secret = subscribe("mes", ed25519=True)
    emit("order.created")

    deliver()

    [request] = receiver.requests
    kinds = [part.split(",")[0] for part in request.headers["webhook-signature"].split()]
    assert kinds == ["v1", "v1a"]
    assert verify(request.headers, request.body, public_keys=[document["public_key"]]).webhook_id
    Webhook(secret).verify(request.body, request.headers)


def test_no_answer_in_time_is_a_failure(
    engine: Engine, subscribe: Subscribe, emit: Emit, deliver: Deliver, receiver: Receiver
) -> None:
    from webhooks.outbound.policy import DeliveryPolicy

    subscribe("mes")
    receiver.answer(Answer(204, delay=1.0))
    emit("order.created")

    deliver(policy=DeliveryPolicy(retry_schedule=(60,), timeout=0.2))

    [delivery] = deliveries(engine)
    assert delivery["status"] == "pending"
    assert delivery["last_error"] == "no answer within 0.2 s"
    assert attempts(engine)[0]["status_code"] is None
