"""The hot-path layer: webhooks and callbacks go straight to their endpoints, everything else to the app."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hub.api import create_app
from hub.api.hotpaths import HotPaths
from hub.settings import Settings
from tests.webhooks.inbound.helpers import order, standard_headers, stored, write_workspace

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture
def client(db_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    (tmp_path / "ws").mkdir()
    app = HotPaths(create_app(Settings(workspace=write_workspace(tmp_path / "ws")), engine=db_engine))
    with TestClient(app) as test_client:  # the app's lifespan (the group-commit writer) runs through the layer
        yield test_client


def test_a_webhook_is_stored_through_the_hot_path_and_counted_by_route_template(
    client: TestClient, db_engine: Engine
) -> None:
    body = order("SO-7")
    response = client.post("/webhooks/in/shop", content=body, headers=standard_headers(body, "msg_hot_1"))

    assert response.status_code == 202
    assert [m["dedupe_key"] for m in stored(db_engine)] == ["msg_hot_1"]
    metrics = client.get("/metrics").text
    assert 'hub_http_requests_total{method="POST",route="/webhooks/in/{source}",status="202"} 1.0' in metrics


def test_hot_path_errors_are_the_hubs_json_errors(client: TestClient) -> None:
    response = client.post("/webhooks/in/nosuch", content=b"{}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_source"

    response = client.post("/callbacks/nosuchvendor/main", content=b"<xml/>")
    assert response.status_code == 404
    assert "callbacks are received for" in response.json()["error"]["message"]


def test_other_methods_and_paths_reach_the_api(client: TestClient) -> None:
    assert client.get("/webhooks/in/shop").status_code == 405  # the app's routing answers
    assert client.post("/webhooks/in/shop/extra", content=b"{}").status_code == 404
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/customers").status_code == 401  # the API's own checks still apply


def test_the_layer_passes_attributes_through_to_the_app(db_engine: Engine, tmp_path: Path) -> None:
    app = create_app(Settings(workspace=tmp_path), engine=db_engine)
    assert HotPaths(app).state is app.state
