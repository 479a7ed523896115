"""/healthz, /readyz and /metrics: what load balancers and Prometheus rely on."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hub.api import create_app
from hub.db.migrate import head_revision
from hub.settings import Settings
from tests.api.builders import kingdee_customer, upsert


def test_healthz_answers_without_touching_the_database(tmp_path: Path) -> None:
    unreachable = Settings(workspace=tmp_path, database_url=f"sqlite:///{tmp_path / 'missing' / 'hub.db'}")

    with TestClient(create_app(unreachable)) as client:
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_on_a_migrated_database(client: TestClient) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "schema_revision": head_revision()}


def test_readyz_is_503_on_an_unmigrated_database_and_says_how_to_fix_it(tmp_path: Path) -> None:
    settings = Settings(workspace=tmp_path, database_url=f"sqlite:///{tmp_path / 'empty.db'}")

    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "database_not_ready"
    assert "hub db upgrade" in error["message"]
    assert error["details"] == {"current": None, "head": head_revision()}


def test_metrics_count_requests_by_route_template(
    client: TestClient, db_engine: Engine, viewer: dict[str, str]
) -> None:
    [created] = upsert(db_engine, "customer", kingdee_customer("C001"))
    client.get(f"/api/v1/customers/{created.record_id}", headers=viewer)
    client.get("/api/v1/customers/cus_NOPE", headers=viewer)
    client.get("/no/such/page")

    response = client.get("/metrics")

    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'hub_http_requests_total{method="GET",route="/api/v1/customers/{record_id}",status="200"} 1.0' in text
    assert 'hub_http_requests_total{method="GET",route="/api/v1/customers/{record_id}",status="404"} 1.0' in text
    assert 'hub_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert "/no/such/page" not in text
    assert created.record_id not in text
    assert 'hub_http_request_duration_seconds_count{method="GET",route="/api/v1/customers/{record_id}"} 2.0' in text


def test_metrics_report_the_newest_event_sequence(client: TestClient, db_engine: Engine) -> None:
    upsert(db_engine, "customer", kingdee_customer("C001"), kingdee_customer("C002"))

    text = client.get("/metrics").text

    assert "hub_events_last_seq 2.0" in text
    assert "hub_database_up 1.0" in text


def test_each_app_counts_only_its_own_requests(db_engine: Engine, tmp_path: Path) -> None:
    with TestClient(create_app(Settings(workspace=tmp_path), engine=db_engine)) as first:
        first.get("/healthz")
    with TestClient(create_app(Settings(workspace=tmp_path), engine=db_engine)) as second:
        text = second.get("/metrics").text

    assert 'route="/healthz"' not in text


def test_the_openapi_ui_is_served_at_docs(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "Integration hub"
    assert "/api/v1/production-orders/{record_id}/versions" in spec["paths"]
