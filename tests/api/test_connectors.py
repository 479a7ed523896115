"""/api/v1 connectors, sync-runs, quarantine and jobs, against the fake connector."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hub.api import create_app
from hub.settings import Settings
from tests.sync.conftest import FIXED_CONTACT_MAPPING, HUB_YAML, FakeHub, make_fake_hub


@pytest.fixture
def fake(db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    return make_fake_hub(db_engine, tmp_path / "ws", monkeypatch)


@pytest.fixture
def api(fake: FakeHub) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(workspace=fake.root), engine=fake.engine)) as test_client:
        yield test_client


def _contacts(fake: FakeHub, count: int = 3) -> None:
    for n in range(1, count + 1):
        fake.source.put("contacts", f"C{n}", name=f"客户{n}", level="a")


# -- connectors ---------------------------------------------------------------------------------------


def test_connectors_are_listed_with_secrets_masked(api: TestClient, viewer: dict[str, str]) -> None:
    response = api.get("/api/v1/connectors", headers=viewer)

    assert response.status_code == 200
    [fk, pay] = response.json()["items"]
    assert (fk["name"], fk["type"], fk["system"], fk["installed"]) == ("fk", "fake", "fake", True)
    assert fk["settings"] == {"base_url": "http://fake.test/", "api_token": "••••ef", "page_size": None}
    assert "tok-0123456789abcdef" not in response.text
    assert fk["entities"] == [
        {"entity": "customer", "mapping": "fake-contact", "schedule": "every 2m", "last_run": None},
        {"entity": "order", "mapping": "fake-order", "schedule": "*/10 * * * *", "last_run": None},
    ]
    assert pay["name"] == "fk-pay"


def test_a_connector_shows_each_entitys_last_run(api: TestClient, fake: FakeHub, viewer: dict[str, str]) -> None:
    _contacts(fake)
    outcome = fake.sync()

    body = api.get("/api/v1/connectors/fk", headers=viewer).json()

    last = body["entities"][0]["last_run"]
    assert last["id"] == outcome.run_id
    assert last["status"] == "succeeded"
    assert body["entities"][1]["last_run"] is None


def test_an_unknown_connector_is_404(api: TestClient, viewer: dict[str, str]) -> None:
    response = api.get("/api/v1/connectors/nope", headers=viewer)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_settings_that_do_not_validate_are_shown_masked_by_name_with_the_reason(
    api: TestClient, fake: FakeHub, viewer: dict[str, str]
) -> None:
    fake.write_config(HUB_YAML.replace("      base_url: http://fake.test/\n", "      url: http://fake.test/\n", 1))

    body = api.get("/api/v1/connectors/fk", headers=viewer).json()

    assert body["settings"] == {"url": "http://fake.test/", "api_token": "••••"}
    assert "unknown key 'url'" in body["settings_error"]


def test_testing_a_connector_needs_an_operator(api: TestClient, viewer: dict[str, str]) -> None:
    assert api.post("/api/v1/connectors/fk/test", headers=viewer).status_code == 403


def test_testing_a_connector_reports_the_health_check(
    api: TestClient, fake: FakeHub, operator: dict[str, str]
) -> None:
    ok = api.post("/api/v1/connectors/fk/test", headers=operator)
    fake.source.healthy = False
    refused = api.post("/api/v1/connectors/fk/test", headers=operator)

    assert ok.status_code == 200
    assert ok.json() == {"ok": True, "message": "connected to http://fake.test/", "details": {"records": 0}}
    assert refused.json() == {"ok": False, "message": "fake system says: invalid api_token",
                              "details": {"code": 40001}}


def test_testing_a_connector_with_bad_settings_says_why(
    api: TestClient, fake: FakeHub, operator: dict[str, str]
) -> None:
    fake.write_config(HUB_YAML.replace("      base_url: http://fake.test/\n", "", 1))

    body = api.post("/api/v1/connectors/fk/test", headers=operator).json()

    assert body["ok"] is False
    assert "connectors.fk.settings.base_url: missing required key 'base_url'" in body["message"]


# -- queueing syncs ---------------------------------------------------------------------------------


def test_queueing_a_sync_answers_202_with_a_job_per_entity(api: TestClient, operator: dict[str, str]) -> None:
    response = api.post("/api/v1/connectors/fk/sync", headers=operator, json={})

    assert response.status_code == 202
    body = response.json()
    assert [j["entity"] for j in body["jobs"]] == ["customer", "order"]
    assert body["already_active"] == []
    job = api.get(f"/api/v1/jobs/{body['jobs'][0]['job_id']}", headers=operator).json()
    assert job["status"] == "queued"
    assert job["payload"] == {"connector": "fk", "entity": "customer", "full": False, "confirm_deletions": False}
    run = api.get(f"/api/v1/sync-runs/{body['jobs'][0]['run_id']}", headers=operator).json()
    assert run["status"] == "queued"


def test_a_sync_already_queued_is_409(api: TestClient, operator: dict[str, str]) -> None:
    first = api.post("/api/v1/connectors/fk/sync", headers=operator, json={"entity": "customer", "full": True})
    second = api.post("/api/v1/connectors/fk/sync", headers=operator, json={"entity": "customer"})

    assert first.status_code == 202
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "conflict"
    [active] = error["details"]["already_active"]
    assert active == {"entity": "customer", "job_id": first.json()["jobs"][0]["job_id"], "status": "queued"}


def test_queueing_every_entity_skips_the_ones_already_queued(api: TestClient, operator: dict[str, str]) -> None:
    api.post("/api/v1/connectors/fk/sync", headers=operator, json={"entity": "customer"})

    body = api.post("/api/v1/connectors/fk/sync", headers=operator, json={}).json()

    assert [j["entity"] for j in body["jobs"]] == ["order"]
    assert [a["entity"] for a in body["already_active"]] == ["customer"]


def test_queueing_needs_an_operator_and_a_known_entity(
    api: TestClient, viewer: dict[str, str], operator: dict[str, str]
) -> None:
    assert api.post("/api/v1/connectors/fk/sync", headers=viewer, json={}).status_code == 403
    assert api.post("/api/v1/connectors/fk/sync", headers=operator, json={"entity": "ticket"}).status_code == 404
    assert api.post("/api/v1/connectors/fk/sync", headers=operator, json={"ful": True}).status_code == 422
    only_confirm = api.post("/api/v1/connectors/fk/sync", headers=operator, json={"confirm_deletions": True})
    assert only_confirm.status_code == 422
    assert "only a full sync deletes" in only_confirm.text


def test_hub_serves_with_a_worker_that_runs_queued_syncs(
    fake: FakeHub, db_engine: Engine, operator: dict[str, str]
) -> None:
    _contacts(fake)
    app = create_app(Settings(workspace=fake.root), engine=db_engine, background=True)

    with TestClient(app) as client:
        queued = client.post("/api/v1/connectors/fk/sync", headers=operator, json={"entity": "customer"}).json()
        job_id = queued["jobs"][0]["job_id"]
        deadline = time.monotonic() + 20
        while client.get(f"/api/v1/jobs/{job_id}", headers=operator).json()["status"] != "succeeded":
            assert time.monotonic() < deadline, "the in-process worker did not run the sync"
            time.sleep(0.05)

    assert fake.live_customers() == ["客户1", "客户2", "客户3"]
    assert app.state.hub.background.scheduler.is_leader  # SQLite: the one process schedules


# -- sync runs ----------------------------------------------------------------------------------------


def test_sync_runs_are_listed_newest_first_with_filters_and_paging(
    api: TestClient, fake: FakeHub, viewer: dict[str, str]
) -> None:
    _contacts(fake)
    first = fake.sync()
    second = fake.sync(full=True)
    fake.sync("order")

    everything = api.get("/api/v1/sync-runs", headers=viewer).json()
    customers = api.get("/api/v1/sync-runs", headers=viewer, params={"entity": "customer", "limit": 1}).json()
    older = api.get("/api/v1/sync-runs", headers=viewer,
                    params={"entity": "customer", "limit": 1, "cursor": customers["next_cursor"]}).json()
    failed = api.get("/api/v1/sync-runs", headers=viewer, params={"status": "failed"}).json()

    assert len(everything["items"]) == 3
    assert [r["id"] for r in customers["items"]] == [second.run_id]
    assert [r["id"] for r in older["items"]] == [first.run_id]
    assert older["next_cursor"] is None
    assert failed["items"] == []
    run = api.get(f"/api/v1/sync-runs/{first.run_id}", headers=viewer).json()
    assert run["counts"] == {"read": 3, "created": 3, "updated": 0, "unchanged": 0, "quarantined": 0, "deleted": 0}


def test_sync_runs_refuse_unknown_filters(api: TestClient, viewer: dict[str, str]) -> None:
    assert api.get("/api/v1/sync-runs", headers=viewer, params={"stauts": "failed"}).status_code == 422
    assert api.get("/api/v1/sync-runs", headers=viewer, params={"status": "done"}).status_code == 422
    assert api.get("/api/v1/sync-runs/run_nope", headers=viewer).status_code == 404


# -- quarantine -----------------------------------------------------------------------------------------


def _quarantine_one(fake: FakeHub) -> None:
    fake.source.put("contacts", "C1", name="华为", level="a")
    fake.source.put("contacts", "C2", alias="腾讯", level="a")
    fake.sync()


def test_quarantined_records_are_listed_with_raw_and_reason(
    api: TestClient, fake: FakeHub, viewer: dict[str, str]
) -> None:
    _quarantine_one(fake)

    body = api.get("/api/v1/quarantine", headers=viewer).json()

    [entry] = body["items"]
    assert entry["external_id"] == "C2"
    assert entry["raw"]["alias"] == "腾讯"
    assert entry["error"]["kind"] == "mapping"
    assert entry["error"]["field"] == "name"
    assert body["next_cursor"] is None
    assert api.get(f"/api/v1/quarantine/{entry['id']}", headers=viewer).json()["id"] == entry["id"]
    assert api.get("/api/v1/quarantine", headers=viewer, params={"status": "retried"}).json()["items"] == []


def test_retrying_after_a_mapping_fix_stores_the_record(
    api: TestClient, fake: FakeHub, viewer: dict[str, str], operator: dict[str, str]
) -> None:
    _quarantine_one(fake)
    [entry] = api.get("/api/v1/quarantine", headers=viewer).json()["items"]

    assert api.post(f"/api/v1/quarantine/{entry['id']}/retry", headers=viewer).status_code == 403
    still = api.post(f"/api/v1/quarantine/{entry['id']}/retry", headers=operator).json()
    fake.write_mapping("fake-contact", FIXED_CONTACT_MAPPING)
    fixed = api.post(f"/api/v1/quarantine/{entry['id']}/retry", headers=operator).json()

    assert (still["ok"], still["status"], still["error"]["field"]) == (False, "pending", "name")
    assert fixed == {"id": entry["id"], "ok": True, "status": "retried", "action": "created", "error": None}
    assert "腾讯" in fake.live_customers()
    again = api.post(f"/api/v1/quarantine/{entry['id']}/retry", headers=operator)
    assert again.status_code == 409


def test_discarding_a_quarantined_record(
    api: TestClient, fake: FakeHub, viewer: dict[str, str], operator: dict[str, str]
) -> None:
    _quarantine_one(fake)
    [entry] = api.get("/api/v1/quarantine", headers=viewer).json()["items"]

    response = api.post(f"/api/v1/quarantine/{entry['id']}/discard", headers=operator)

    assert response.status_code == 200
    assert response.json()["status"] == "discarded"
    assert response.json()["resolved_by"] == "ops-alice"
    assert api.post(f"/api/v1/quarantine/{entry['id']}/discard", headers=operator).status_code == 409
    assert api.post("/api/v1/quarantine/qr_nope/discard", headers=operator).status_code == 404


def test_an_unknown_job_is_404(api: TestClient, viewer: dict[str, str]) -> None:
    assert api.get("/api/v1/jobs/job_nope", headers=viewer).status_code == 404
