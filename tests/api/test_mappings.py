"""/api/v1/mappings: listing, one mapping with its text, validate and preview (operators only)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hub.mapping import load_mapping
from tests.api.builders import kingdee_customer, upsert
from tests.mapping_tools.helpers import (
    BROKEN_FIELDS,
    BROKEN_MAPPING,
    ORDER_MAPPING,
    customer_mapping,
    use_shipped_dir,
    write,
)


@pytest.fixture(autouse=True)
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_shipped_dir(monkeypatch, tmp_path / "shipped")


@pytest.fixture
def mappings(tmp_path: Path) -> Path:
    """The workspace's mappings/ (the client's workspace is tmp_path)."""
    return tmp_path / "mappings"


def test_viewers_list_the_loaded_mappings_and_the_broken_files(
    client: TestClient, viewer: dict[str, str], mappings: Path, shipped: Path
) -> None:
    shipped_file = write(shipped, "kingdee/customer.yaml", customer_mapping())
    write(mappings, "customer.yaml", customer_mapping(name_pipe="[upper]"))
    write(mappings, "broken.yaml", BROKEN_MAPPING)
    customer = load_mapping(mappings / "customer.yaml")

    response = client.get("/api/v1/mappings", headers=viewer)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["items"] == [{
        "name": "kd-customer", "entity": "customer", "system": "kingdee", "object": "BD_Customer",
        "source": "workspace", "file": "mappings/customer.yaml", "hash": customer.hash,
        "overrides": str(shipped_file.resolve()),
    }]
    [error] = body["errors"]
    assert (error["file"], error["name"], error["source"]) == ("mappings/broken.yaml", "broken", "workspace")
    assert [(p["line"], p["path"]) for p in error["problems"]] == [(5, "entity"), (8, "fields.name.pipe[1]")]


def test_the_list_follows_changes_to_the_files(client: TestClient, viewer: dict[str, str], mappings: Path) -> None:
    path = write(mappings, "customer.yaml", customer_mapping())
    first = client.get("/api/v1/mappings", headers=viewer).json()["items"][0]["hash"]

    path.write_text(customer_mapping(name_pipe="[upper]"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    write(mappings, "order.yaml", ORDER_MAPPING)
    items = client.get("/api/v1/mappings", headers=viewer).json()["items"]

    assert [i["name"] for i in items] == ["kd-customer", "kd-order"]
    assert items[0]["hash"] != first


def test_listing_needs_a_key(client: TestClient) -> None:
    assert client.get("/api/v1/mappings").status_code == 401


def test_one_mapping_comes_with_its_file_text(client: TestClient, viewer: dict[str, str], mappings: Path) -> None:
    write(mappings, "order.yaml", ORDER_MAPPING)

    response = client.get("/api/v1/mappings/kd-order", headers=viewer)

    assert response.status_code == 200, response.text
    assert response.json()["text"] == ORDER_MAPPING
    assert response.json()["entity"] == "order"


def test_an_unknown_mapping_is_404_with_a_suggestion(
    client: TestClient, viewer: dict[str, str], mappings: Path
) -> None:
    write(mappings, "order.yaml", ORDER_MAPPING)

    response = client.get("/api/v1/mappings/kd-ordr", headers=viewer)

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "no mapping named 'kd-ordr' (did you mean 'kd-order'?)"


def test_a_mapping_whose_file_is_broken_is_409_with_its_problems(
    client: TestClient, viewer: dict[str, str], mappings: Path
) -> None:
    write(mappings, "fields.yaml", BROKEN_FIELDS)

    response = client.get("/api/v1/mappings/broken-fields", headers=viewer)

    assert response.status_code == 409
    assert [d["line"] for d in response.json()["error"]["details"]] == [8, 9]


def test_validate_returns_every_error_with_its_line(client: TestClient, operator: dict[str, str]) -> None:
    response = client.post("/api/v1/mappings/validate", json={"text": BROKEN_FIELDS}, headers=operator)

    assert response.status_code == 200, response.text
    assert response.json() == {"ok": False, "mapping": None, "errors": [
        {"file": "<text>", "line": 8, "path": "fields.name.pipe[1]",
         "message": "unknown step 'uper' (did you mean 'upper'?)"},
        {"file": "<text>", "line": 9, "path": "fields.nmae",
         "message": "unknown canonical field 'nmae' (did you mean 'name'?)"},
    ]}


def test_validate_of_a_good_mapping_is_ok(client: TestClient, operator: dict[str, str]) -> None:
    response = client.post("/api/v1/mappings/validate", json={"text": ORDER_MAPPING}, headers=operator)

    body = response.json()
    assert body["ok"] is True
    assert body["errors"] == []
    assert body["mapping"]["name"] == "kd-order"


def test_validate_of_invalid_yaml_names_the_line(client: TestClient, operator: dict[str, str]) -> None:
    response = client.post("/api/v1/mappings/validate", json={"text": "name: [unclosed\nx: 1\n"}, headers=operator)

    [error] = response.json()["errors"]
    assert error["line"] is not None
    assert error["message"].startswith("invalid YAML")


@pytest.mark.parametrize("path", ["/api/v1/mappings/validate", "/api/v1/mappings/preview"])
def test_viewers_cannot_validate_or_preview(client: TestClient, viewer: dict[str, str], path: str) -> None:
    body = {"text": ORDER_MAPPING, "records": []}

    response = client.post(path, json=body if path.endswith("preview") else {"text": ORDER_MAPPING}, headers=viewer)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_preview_of_a_loaded_mapping_gives_one_result_per_record(
    client: TestClient, operator: dict[str, str], mappings: Path
) -> None:
    write(mappings, "customer.yaml", customer_mapping())
    records = [{"FNumber": "C1", "FName": " Acme "}, {"FNumber": "C2"}]

    response = client.post("/api/v1/mappings/preview", json={"mapping": "kd-customer", "records": records},
                           headers=operator)

    assert response.status_code == 200, response.text
    ok, bad = response.json()["results"]
    assert ok == {"index": 0, "id": "C1", "ok": True, "fields": {"name": "Acme", "tax_id": None}}
    assert (bad["index"], bad["id"], bad["ok"], bad["error"]["field"]) == (1, "C2", False, "name")


def test_preview_of_posted_text_and_in_reverse(client: TestClient, operator: dict[str, str]) -> None:
    body = {"text": ORDER_MAPPING, "records": [{"number": "SO1", "total": "12.50"}], "reverse": True}

    response = client.post("/api/v1/mappings/preview", json=body, headers=operator)

    assert response.json()["results"] == [
        {"index": 0, "ok": True, "vendor": {"FBillNo": "SO1", "FBillAllAmount": "12.50"}, "not_reversed": ["currency"]}
    ]


def test_preview_resolves_lookups_against_the_database(
    client: TestClient, operator: dict[str, str], db_engine: Engine
) -> None:
    [owner] = upsert(db_engine, "customer", kingdee_customer("C1"))
    records = [{"FNumber": "C2", "FName": "Beta", "FOwner": "C1"}, {"FNumber": "C3", "FName": "G", "FOwner": "C9"}]
    body = {"text": customer_mapping(owner_lookup=True), "records": records}

    response = client.post("/api/v1/mappings/preview", json=body, headers=operator)

    known, unknown = response.json()["results"]
    assert known["fields"]["owner"] == owner.record_id
    assert unknown["ok"] is False
    assert unknown["error"]["field"] == "owner"


def test_preview_of_broken_text_is_422_with_the_problems(client: TestClient, operator: dict[str, str]) -> None:
    response = client.post("/api/v1/mappings/preview", json={"text": BROKEN_MAPPING, "records": [{}]},
                           headers=operator)

    assert response.status_code == 422
    assert [d["line"] for d in response.json()["error"]["details"]] == [5, 8]


def test_posted_text_is_never_read_as_a_server_path(
    client: TestClient, operator: dict[str, str], mappings: Path
) -> None:
    path = write(mappings, "order.yaml", ORDER_MAPPING)

    response = client.post("/api/v1/mappings/preview", json={"text": str(path), "records": [{}]}, headers=operator)

    assert response.status_code == 422
    assert "kd-order" not in response.text


@pytest.mark.parametrize(
    "body",
    [{"records": []}, {"mapping": "kd-order", "text": ORDER_MAPPING, "records": []}, {"mapping": "kd-order"}],
    ids=["neither", "both", "no-records"],
)
def test_preview_needs_exactly_one_mapping_and_the_records(
    client: TestClient, operator: dict[str, str], body: dict[str, object]
) -> None:
    response = client.post("/api/v1/mappings/preview", json=body, headers=operator)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_preview_of_an_unknown_mapping_is_404(client: TestClient, operator: dict[str, str]) -> None:
    response = client.post("/api/v1/mappings/preview", json={"mapping": "nope", "records": []}, headers=operator)

    assert response.status_code == 404
