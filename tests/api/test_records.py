"""Reading canonical records: pages, filters, crosswalk lookup, detail with raw, versions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hub.store import SourceRecord
from hub.store.entities import ENTITIES
from tests.api.builders import kingdee_customer, kingdee_order, upsert


@pytest.mark.parametrize("plural", [e.plural for e in ENTITIES.values()])
def test_every_entity_is_listed_at_its_plural_path(client: TestClient, viewer: dict[str, str], plural: str) -> None:
    response = client.get(f"/api/v1/{plural}", headers=viewer)

    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


def test_the_cursor_walks_every_record_exactly_once(
    client: TestClient, db_engine: Engine, viewer: dict[str, str]
) -> None:
    created = upsert(db_engine, "customer", *(kingdee_customer(f"C{i:03}") for i in range(5)))
    seen: list[str] = []
    pages = 0
    params: dict[str, str | int] = {"limit": 2}

    while True:
        body = client.get("/api/v1/customers", headers=viewer, params=params).json()
        pages += 1
        seen += [item["id"] for item in body["items"]]
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]

    assert pages == 3
    assert seen == sorted(r.record_id for r in created if r.record_id)


def test_q_finds_customers_by_part_of_the_name(client: TestClient, db_engine: Engine, viewer: dict[str, str]) -> None:
    upsert(
        db_engine, "customer",
        kingdee_customer("C001", name="华东机械有限公司"),
        kingdee_customer("C002", name="北方纺织"),
    )

    body = client.get("/api/v1/customers", headers=viewer, params={"q": "机械"}).json()

    assert [item["name"] for item in body["items"]] == ["华东机械有限公司"]


def test_orders_filter_by_status_and_customer(client: TestClient, db_engine: Engine, viewer: dict[str, str]) -> None:
    [acme, other] = upsert(db_engine, "customer", kingdee_customer("C001"), kingdee_customer("C002"))
    upsert(
        db_engine, "order",
        kingdee_order("SO-1", customer_id=acme.record_id, status="confirmed"),
        kingdee_order("SO-2", customer_id=acme.record_id, status="draft"),
        kingdee_order("SO-3", customer_id=other.record_id, status="confirmed"),
    )

    body = client.get(
        "/api/v1/orders", headers=viewer, params={"status": "confirmed", "customer_id": acme.record_id}
    ).json()

    assert [item["number"] for item in body["items"]] == ["SO-1"]


def test_updated_since_takes_a_time_with_offset(client: TestClient, db_engine: Engine, viewer: dict[str, str]) -> None:
    upsert(db_engine, "customer", kingdee_customer("OLD"), now=datetime(2024, 1, 1, tzinfo=UTC))
    upsert(db_engine, "customer", kingdee_customer("NEW"), now=datetime(2024, 6, 1, tzinfo=UTC))

    body = client.get("/api/v1/customers", headers=viewer, params={"updated_since": "2024-03-01T08:00:00+08:00"}).json()

    assert [item["refs"][0]["external_id"] for item in body["items"]] == ["NEW"]


def test_deleted_records_are_listed_only_when_asked(
    client: TestClient, db_engine: Engine, viewer: dict[str, str]
) -> None:
    upsert(db_engine, "customer", kingdee_customer("C001"), kingdee_customer("C002"))
    upsert(db_engine, "customer", SourceRecord("kingdee", "BD_Customer", "C002", deleted=True))

    default = client.get("/api/v1/customers", headers=viewer).json()
    everything = client.get("/api/v1/customers", headers=viewer, params={"include_deleted": "true"}).json()

    assert len(default["items"]) == 1
    assert len(everything["items"]) == 2
    assert sum(item["deleted_at"] is not None for item in everything["items"]) == 1


def test_customer_id_is_rejected_for_entities_without_it(client: TestClient, viewer: dict[str, str]) -> None:
    response = client.get("/api/v1/production-orders", headers=viewer, params={"customer_id": "cus_X"})

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "customer_id"


def test_crosswalk_lookup_finds_the_record_by_a_systems_id(
    client: TestClient, db_engine: Engine, viewer: dict[str, str]
) -> None:
    [created, _] = upsert(db_engine, "customer", kingdee_customer("C001"), kingdee_customer("C002"))

    found = client.get("/api/v1/customers", headers=viewer, params={"system": "kingdee", "external_id": "C001"})
    with_object = client.get(
        "/api/v1/customers",
        headers=viewer,
        params={"system": "kingdee", "external_id": "C001", "object": "BD_Customer"},
    )
    missing = client.get("/api/v1/customers", headers=viewer, params={"system": "kingdee", "external_id": "C999"})

    assert [item["id"] for item in found.json()["items"]] == [created.record_id]
    assert [item["id"] for item in with_object.json()["items"]] == [created.record_id]
    assert missing.json() == {"items": [], "next_cursor": None}


def test_crosswalk_lookup_needs_both_system_and_external_id(client: TestClient, viewer: dict[str, str]) -> None:
    response = client.get("/api/v1/customers", headers=viewer, params={"system": "kingdee"})

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "external_id"


def test_detail_has_each_source_ref_with_its_raw_record(
    client: TestClient, db_engine: Engine, viewer: dict[str, str]
) -> None:
    [created] = upsert(db_engine, "customer", kingdee_customer("C001", name="华东机械"))

    record = client.get(f"/api/v1/customers/{created.record_id}", headers=viewer).json()

    assert record["name"] == "华东机械"
    [ref] = record["refs"]
    assert (ref["system"], ref["object"], ref["external_id"]) == ("kingdee", "BD_Customer", "C001")
    assert ref["raw"] == {"FNumber": "C001", "FName": "华东机械"}


def test_versions_show_each_change_oldest_first(client: TestClient, db_engine: Engine, viewer: dict[str, str]) -> None:
    [created] = upsert(db_engine, "customer", kingdee_customer("C001", name="华东机械"))
    upsert(db_engine, "customer", kingdee_customer("C001", name="华东机械有限公司"))

    versions = client.get(f"/api/v1/customers/{created.record_id}/versions", headers=viewer).json()["items"]

    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["changes"]["name"] == {"old": "华东机械", "new": "华东机械有限公司"}
    assert versions[1]["source_system"] == "kingdee"


def test_versions_of_an_unknown_record_are_404(client: TestClient, viewer: dict[str, str]) -> None:
    response = client.get("/api/v1/contracts/con_NOPE/versions", headers=viewer)

    assert response.status_code == 404
