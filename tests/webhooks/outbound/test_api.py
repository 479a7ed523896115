"""``/api/v1/subscriptions`` and ``/api/v1/deliveries``: roles, the secret shown once, SSRF at save, replay."""

from __future__ import annotations

import asyncio
import ipaddress
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from standardwebhooks import Webhook

from hub.api import create_app
from hub.db.types import utcnow
from hub.events.outbox import NewEvent, append_events
from hub.security.secrets import SecretBox
from hub.settings import Settings
from tests.api.builders import bearer
from tests.webhooks.outbound.receiver import Answer, Receiver
from webhooks.outbound.dispatcher import Dispatcher
from webhooks.outbound.policy import DeliveryPolicy
from webhooks.outbound.subscriptions import find_subscription

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture
def client(db_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(workspace=tmp_path, secret_key=SecretStr(SecretBox.generate_key()),
                        webhook_allow_networks="127.0.0.0/8")
    with TestClient(create_app(settings, engine=db_engine)) as test_client:
        yield test_client


@pytest.fixture
def admin(db_engine: Engine) -> dict[str, str]:
    return bearer(db_engine, "admin")


@pytest.fixture
def viewer(db_engine: Engine) -> dict[str, str]:
    return bearer(db_engine, "viewer")


@pytest.fixture
def operator(db_engine: Engine) -> dict[str, str]:
    return bearer(db_engine, "operator")


def new_subscription(client: TestClient, admin: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"name": "mes", "url": "http://127.0.0.1:9/hook", "events": ["order.*"], **fields}
    response = client.post("/api/v1/subscriptions", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_creating_returns_the_secret_once_and_reading_masks_it(
    client: TestClient, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/subscriptions",
        json={"name": "mes", "url": "http://127.0.0.1:9/hook", "events": ["order.*"],
              "headers": {"Authorization": "Bearer t0k"}, "filter": {"currency": "CNY"}},
        headers=admin,
    )

    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    created = response.json()
    secret = created["signing_secret"]
    assert secret.startswith("whsec_")
    shown = client.get(f"/api/v1/subscriptions/{created['id']}", headers=viewer)
    listed = client.get("/api/v1/subscriptions", headers=viewer)
    for text in (shown.text, listed.text):
        assert secret not in text
        assert "t0k" not in text
    assert shown.json()["secret"] == "whsec_********"
    assert shown.json()["headers"] == {"Authorization": "********"}
    assert "signing_secret" not in shown.json()


def test_viewers_read_and_only_admins_write(client: TestClient, admin: dict[str, str], viewer: dict[str, str],
                                            operator: dict[str, str]) -> None:
    body = {"name": "mes", "url": "http://127.0.0.1:9/hook", "events": ["order.*"]}

    assert client.post("/api/v1/subscriptions", json=body, headers=viewer).status_code == 403
    assert client.post("/api/v1/subscriptions", json=body, headers=operator).status_code == 403
    assert client.get("/api/v1/subscriptions", headers=viewer).status_code == 200
    new_subscription(client, admin)
    assert client.post("/api/v1/subscriptions/mes/rotate-secret", headers=operator).status_code == 403
    assert client.delete("/api/v1/subscriptions/mes", headers=viewer).status_code == 403


def test_an_internal_url_is_refused_when_saved(client: TestClient, admin: dict[str, str]) -> None:
    body = {"name": "meta", "url": "http://169.254.169.254/latest", "events": ["*"]}

    response = client.post("/api/v1/subscriptions", json=body, headers=admin)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "blocked_address"
    assert client.get("/api/v1/subscriptions", headers=admin).json()["items"] == []


def test_bad_input_is_a_422_naming_the_field(client: TestClient, admin: dict[str, str]) -> None:
    body = {"name": "mes", "url": "ftp://x", "events": ["order.confimed"]}

    response = client.post("/api/v1/subscriptions", json=body, headers=admin)

    assert response.status_code == 422
    assert "order.confirmed" in response.text


def test_rotation_returns_the_new_secret_once(client: TestClient, admin: dict[str, str]) -> None:
    created = new_subscription(client, admin)

    response = client.post("/api/v1/subscriptions/mes/rotate-secret", json={"overlap_seconds": 3600}, headers=admin)

    assert response.status_code == 200
    rotated = response.json()
    assert rotated["signing_secret"] != created["signing_secret"]
    assert rotated["previous_secret_expires_at"] is not None
    assert rotated["signing_secret"] not in client.get("/api/v1/subscriptions/mes", headers=admin).text


def test_patch_changes_fields_and_pauses(client: TestClient, admin: dict[str, str]) -> None:
    new_subscription(client, admin)

    response = client.patch("/api/v1/subscriptions/mes", json={"events": ["order.paid"], "enabled": False},
                            headers=admin)

    assert response.status_code == 200
    assert response.json()["events"] == ["order.paid"]
    assert (response.json()["enabled"], response.json()["disabled_reason"]) == (False, "disabled through the API")
    blocked = client.patch("/api/v1/subscriptions/mes", json={"url": "http://10.0.0.1/"}, headers=admin)
    assert blocked.status_code == 403


def test_delete(client: TestClient, admin: dict[str, str]) -> None:
    new_subscription(client, admin)

    assert client.delete("/api/v1/subscriptions/mes", headers=admin).status_code == 204
    assert client.get("/api/v1/subscriptions/mes", headers=admin).status_code == 404


def test_deliveries_are_listed_shown_and_replayed_with_the_same_webhook_id(
    client: TestClient, db_engine: Engine, admin: dict[str, str], operator: dict[str, str], viewer: dict[str, str]
) -> None:
    receiver = Receiver().start()
    try:
        secret = new_subscription(client, admin, url=receiver.url("/mes"))["signing_secret"]
        receiver.default = Answer(500)
        with db_engine.begin() as conn:
            [event_id] = append_events(conn, [NewEvent("order.created", "order", "ord_1", 1, {"id": "ord_1"})],
                                       now=utcnow())
            assert find_subscription(conn, "mes")["source"] == "api"

        async def deliver() -> None:
            box = SecretBox(client.app.state.hub.settings.secret_key.get_secret_value())  # type: ignore[attr-defined]
            async with Dispatcher(db_engine, box=box, policy=DeliveryPolicy(retry_schedule=()),
                                  allowed=[ipaddress.ip_network("127.0.0.0/8")]) as dispatcher:
                await dispatcher.drain()

        asyncio.run(deliver())
        page = client.get("/api/v1/deliveries?status=dead&subscription=mes", headers=viewer).json()
        [dead] = page["items"]
        assert (dead["webhook_id"], dead["status"], dead["subscription"]) == (event_id, "dead", "mes")
        detail = client.get(f"/api/v1/deliveries/{dead['id']}", headers=viewer).json()
        assert [a["status_code"] for a in detail["attempt_log"]] == [500]

        assert client.post(f"/api/v1/deliveries/{dead['id']}/replay", headers=viewer).status_code == 403
        replayed = client.post(f"/api/v1/deliveries/{dead['id']}/replay", headers=operator)
        assert replayed.status_code == 200
        assert (replayed.json()["status"], replayed.json()["webhook_id"]) == ("pending", event_id)
        again = client.post(f"/api/v1/deliveries/{dead['id']}/replay", headers=operator)
        assert again.status_code == 409

        receiver.default = Answer(204)
        asyncio.run(deliver())
        assert [r.headers["webhook-id"] for r in receiver.requests] == [event_id, event_id]
        Webhook(secret).verify(receiver.requests[-1].body, receiver.requests[-1].headers)
    finally:
        receiver.close()


def test_bulk_replay_of_dead_deliveries(client: TestClient, operator: dict[str, str]) -> None:
    response = client.post("/api/v1/deliveries/replay", json={"status": "dead"}, headers=operator)

    assert response.status_code == 200
    assert response.json() == {"replayed": []}


def test_an_unknown_status_filter_is_refused(client: TestClient, viewer: dict[str, str]) -> None:
    response = client.get("/api/v1/deliveries?status=lost", headers=viewer)

    assert response.status_code == 422
