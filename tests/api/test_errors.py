"""Every failure is {"error": {"code", "message", "details"}} with the status a client can act on."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hub.api import create_app
from hub.settings import Settings


def test_an_unknown_route_is_404_in_the_error_shape(client: TestClient, viewer: dict[str, str]) -> None:
    response = client.get("/api/v1/widgets", headers=viewer)

    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "GET /api/v1/widgets is not an endpoint of this hub (see /docs)",
            "details": None,
        }
    }


def test_an_unknown_record_is_404_naming_the_id(client: TestClient, viewer: dict[str, str]) -> None:
    response = client.get("/api/v1/orders/ord_NOPE", headers=viewer)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "ord_NOPE" in response.json()["error"]["message"]


def test_bad_parameters_are_422_listing_each_one(client: TestClient, viewer: dict[str, str]) -> None:
    response = client.get("/api/v1/customers", headers=viewer, params={"limit": 0, "include_deleted": "maybe"})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert {(d["location"], d["field"]) for d in error["details"]} == {
        ("query", "limit"),
        ("query", "include_deleted"),
    }


def test_a_misspelt_filter_is_422_not_an_unfiltered_list(client: TestClient, viewer: dict[str, str]) -> None:
    response = client.get("/api/v1/customers", headers=viewer, params={"stauts": "active"})

    assert response.status_code == 422
    [detail] = response.json()["error"]["details"]
    assert detail["field"] == "stauts"
    assert "status" in detail["reason"]


def test_a_bad_request_body_is_422_in_the_error_shape(client: TestClient, operator: dict[str, str]) -> None:
    response = client.post("/api/v1/identity-matches/idm_X/resolve", headers=operator, json={"decision": "maybe"})

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["location"] == "body"
    assert response.json()["error"]["details"][0]["field"] == "decision"


def test_an_unexpected_error_is_500_without_internals(db_engine: Engine, tmp_path: Path) -> None:
    app = create_app(Settings(workspace=tmp_path), engine=db_engine)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("password=hunter2 at /srv/hub/secret.py line 3")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "hunter2" not in response.text


def test_an_unmigrated_database_answers_503_not_500(tmp_path: Path) -> None:
    app = create_app(Settings(workspace=tmp_path, database_url=f"sqlite:///{tmp_path / 'empty.db'}"))

    with TestClient(app) as client:
        response = client.get("/api/v1/customers", headers={"Authorization": "Bearer hub_abcdefgh_" + "x" * 43})

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_not_ready"
    assert "hub db upgrade" in response.json()["error"]["message"]
