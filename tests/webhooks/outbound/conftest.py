"""Fixtures for outbound webhooks: an encryption key, a local receiver, subscriptions and events in one line."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from hub.db.types import utcnow
from hub.events.outbox import NewEvent, append_events
from hub.security.secrets import SecretBox
from hub.workspace.config import SubscriptionConfig
from tests.webhooks.outbound.receiver import Receiver
from webhooks.outbound.dispatcher import Dispatcher
from webhooks.outbound.policy import DeliveryPolicy
from webhooks.outbound.subscriptions import create_subscription
from webhooks.outbound.tables import DELIVERIES

LOCAL = [ipaddress.ip_network("127.0.0.0/8")]
FAST = DeliveryPolicy(retry_schedule=(0.05, 0.05), timeout=5.0, lease=timedelta(seconds=30))


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(SecretBox.generate_key())


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.close()


Subscribe = Callable[..., tuple[dict[str, Any], str]]


@pytest.fixture
def subscribe(engine: Engine, box: SecretBox, receiver: Receiver) -> Subscribe:
    """``subscribe("mes", events=[...], **fields)`` -> (document, secret); the URL defaults to the receiver."""

    def make(name: str = "mes", *, events: list[str] | None = None, **fields: Any) -> tuple[dict[str, Any], str]:
        fields.setdefault("url", receiver.url(f"/{name}"))
        spec = SubscriptionConfig.model_validate({"events": events or ["*"], **fields})
        with engine.begin() as conn:
            return create_subscription(conn, box, name, spec, now=utcnow())

    return make


Emit = Callable[..., list[str]]


@pytest.fixture
def emit(engine: Engine) -> Emit:
    """``emit("order.confirmed", {"number": ...}, record="ord_1")`` appends one event (own transaction)."""

    def append(event_type: str, data: dict[str, Any] | None = None, *, record: str = "ord_1",
               now: datetime | None = None) -> list[str]:
        entity = event_type.split(".")[0]
        with engine.begin() as conn:
            return append_events(conn, [NewEvent(event_type, entity, record, 1, {"id": record, **(data or {})})],
                                 now=now or utcnow())

    return append


MakeDispatcher = Callable[..., Dispatcher]


@pytest.fixture
def make_dispatcher(engine: Engine, box: SecretBox) -> MakeDispatcher:
    """A dispatcher that may reach 127.0.0.0/8, with a fast retry schedule. Use it as ``async with``."""

    def make(**options: Any) -> Dispatcher:
        options.setdefault("policy", FAST)
        options.setdefault("allowed", LOCAL)
        options.setdefault("box", box)
        return Dispatcher(engine, **options)

    return make


Deliver = Callable[..., None]


@pytest.fixture
def deliver(make_dispatcher: MakeDispatcher) -> Deliver:
    """Deliver everything due now (and retries due within ``max_wait`` seconds), then return."""

    def run(max_wait: float = 0.0, **options: Any) -> None:
        async def go() -> None:
            async with make_dispatcher(**options) as dispatcher:
                await dispatcher.drain(max_wait=max_wait)

        asyncio.run(go())

    return run


def deliveries(engine: Engine, **where: Any) -> list[dict[str, Any]]:
    query = select(DELIVERIES).order_by(DELIVERIES.c.event_seq, DELIVERIES.c.subscription_id)
    for key, value in where.items():
        query = query.where(DELIVERIES.c[key] == value)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
