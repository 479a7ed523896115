"""Polling /api/v1/events: after a sequence number, filtered by type patterns."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.api.builders import kingdee_customer, kingdee_order, upsert


def test_type_wildcards_select_one_entitys_events(
    client: TestClient, db_engine: Engine, viewer: dict[str, str]
) -> None:
    [customer] = upsert(db_engine, "customer", kingdee_customer("C001"))
    upsert(db_engine, "order", kingdee_order("SO-1", customer_id=customer.record_id, status="confirmed"))

    body = client.get("/api/v1/events", headers=viewer, params={"type": "order.*"}).json()

    assert [e["type"] for e in body["items"]] == ["order.created", "order.confirmed"]
    assert body["items"][0]["data"]["number"] == "SO-1"


def test_repeated_type_parameters_are_alternatives(
    client: TestClient, db_engine: Engine, viewer: dict[str, str]
) -> None:
    [customer] = upsert(db_engine, "customer", kingdee_customer("C001"))
    upsert(db_engine, "order", kingdee_order("SO-1", customer_id=customer.record_id, status="confirmed"))

    body = client.get("/api/v1/events", headers=viewer, params=[("type", "customer.created"), ("type", "*.confirmed")])

    assert [e["type"] for e in body.json()["items"]] == ["customer.created", "order.confirmed"]


def test_polling_with_next_after_returns_only_new_events(
    client: TestClient, db_engine: Engine, viewer: dict[str, str]
) -> None:
    upsert(db_engine, "customer", kingdee_customer("C001"))
    first = client.get("/api/v1/events", headers=viewer).json()
    upsert(db_engine, "customer", kingdee_customer("C002"))

    second = client.get("/api/v1/events", headers=viewer, params={"after": first["next_after"]}).json()
    third = client.get("/api/v1/events", headers=viewer, params={"after": second["next_after"]}).json()

    assert [e["data"]["refs"][0]["external_id"] for e in second["items"]] == ["C002"]
    assert second["next_after"] == second["items"][-1]["seq"] > first["next_after"]
    assert third == {"items": [], "next_after": second["next_after"]}


def test_events_of_one_record(client: TestClient, db_engine: Engine, viewer: dict[str, str]) -> None:
    [first, _] = upsert(db_engine, "customer", kingdee_customer("C001"), kingdee_customer("C002"))

    body = client.get("/api/v1/events", headers=viewer, params={"record_id": first.record_id}).json()

    assert {e["data"]["id"] for e in body["items"]} == {first.record_id}
