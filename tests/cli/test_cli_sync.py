"""hub connectors, hub sync, hub sync-runs, hub quarantine and hub worker, against the fake connector."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from hub.cli.worker import run_worker
from hub.db.engine import create_db_engine
from hub.jobs import get_job
from hub.settings import Settings
from hub.sync.engine import SyncRequest
from hub.sync.jobs import enqueue_sync
from tests.cli.hub_cli_harness import Hub
from tests.sync.conftest import FIXED_CONTACT_MAPPING, FakeHub, make_fake_hub


@pytest.fixture
def fake(migrated: Hub, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    engine = create_db_engine(migrated.database_url)
    yield make_fake_hub(engine, migrated.workspace, monkeypatch)
    engine.dispose()


def _contacts(fake: FakeHub, count: int = 3) -> None:
    for n in range(1, count + 1):
        fake.source.put("contacts", f"C{n}", name=f"客户{n}", level="a")


# -- hub connectors ---------------------------------------------------------------------------------


def test_connectors_list_shows_each_entity_with_its_mapping_and_schedule(migrated: Hub, fake: FakeHub) -> None:
    result = migrated("connectors", "list")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "TYPE", "SYSTEM", "ENTITY", "MAPPING", "SCHEDULE"]
    assert lines[1].split() == ["fk", "fake", "fake", "customer", "fake-contact", "every", "2m"]
    assert lines[2].split() == ["fk", "fake", "fake", "order", "fake-order", "*/10", "*", "*", "*", "*"]
    assert lines[3].split() == ["fk-pay", "fake", "fake", "order", "fake-payment", "manual"]


def test_connectors_list_json_masks_secrets(migrated: Hub, fake: FakeHub) -> None:
    result = migrated("connectors", "list", "--json")

    assert result.exit_code == 0, result.output
    [fk, _pay] = json.loads(result.stdout)
    assert fk["settings"]["api_token"] == "••••ef"
    assert "tok-0123456789abcdef" not in result.stdout


def test_connectors_test_prints_ok_when_the_system_answers(migrated: Hub, fake: FakeHub) -> None:
    result = migrated("connectors", "test", "fk")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: fk: connected to http://fake.test/\n")


def test_connectors_test_exits_1_with_the_reason_when_it_does_not(migrated: Hub, fake: FakeHub) -> None:
    fake.source.healthy = False

    result = migrated("connectors", "test", "fk")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: fk: fake system says: invalid api_token\n  code: 40001")


def test_connectors_test_of_an_unknown_connector_suggests_one(migrated: Hub, fake: FakeHub) -> None:
    result = migrated("connectors", "test", "fk-py")

    assert result.exit_code == 1
    assert result.stderr == "error: no connector named 'fk-py' in hub.yaml (did you mean 'fk-pay'?)\n"


# -- hub sync -----------------------------------------------------------------------------------------


def test_sync_runs_in_the_foreground_with_progress_lines_and_a_summary(migrated: Hub, fake: FakeHub) -> None:
    _contacts(fake)

    result = migrated("sync", "fk", "--entity", "customer")

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "fk/customer (incremental) page 1: 2 read: 2 created, 0 updated, 0 unchanged, 0 quarantined, 0 deleted",
        "fk/customer (incremental) page 2: 3 read: 3 created, 0 updated, 0 unchanged, 0 quarantined, 0 deleted",
    ]
    [summary] = result.stdout.splitlines()
    assert summary.startswith("fk/customer: succeeded in ")
    assert "2 page(s), 3 read: 3 created, 0 updated, 0 unchanged, 0 quarantined, 0 deleted (run run_" in summary
    assert fake.live_customers() == ["客户1", "客户2", "客户3"]


def test_sync_without_entity_syncs_every_entity_in_order(migrated: Hub, fake: FakeHub) -> None:
    _contacts(fake, 1)
    fake.source.put("orders", "SO-1", number="SO-1", customer="C1", state="ok")

    result = migrated("sync", "fk", "--json")

    assert result.exit_code == 0, result.output
    summaries = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(s["entity"], s["status"], s["counts"]["created"]) for s in summaries] == [
        ("customer", "succeeded", 1), ("order", "succeeded", 1)]


def test_sync_points_at_quarantined_records(migrated: Hub, fake: FakeHub) -> None:
    fake.source.put("contacts", "C1", alias="没有名字", level="a")

    result = migrated("sync", "fk", "--entity", "customer")

    assert result.exit_code == 0, result.output
    assert "1 record(s) quarantined: hub quarantine list --connector fk" in result.stderr


def test_a_full_sync_over_the_deletion_guard_exits_3_until_confirmed(migrated: Hub, fake: FakeHub) -> None:
    _contacts(fake, 5)
    assert migrated("sync", "fk", "-e", "customer", "--full").exit_code == 0
    fake.source.delete("contacts", "C1", "C2")

    held = migrated("sync", "fk", "-e", "customer", "--full")

    assert held.exit_code == 3, held.output
    assert "needs_confirmation" in held.stdout
    assert "2 of 5 fake contacts records (40%) were not in the full read" in held.stderr
    assert len(fake.live_customers()) == 5
    confirmed = migrated("sync", "fk", "-e", "customer", "--full", "--confirm-deletions")
    assert confirmed.exit_code == 0, confirmed.output
    assert "2 deleted" in confirmed.stdout
    assert len(fake.live_customers()) == 3


def test_sync_with_a_configuration_error_exits_2(migrated: Hub, fake: FakeHub) -> None:
    fake.write_mapping("fake-contact", "version: 1\nname: fake-contact\n")

    result = migrated("sync", "fk", "-e", "customer")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")


def test_sync_of_an_entity_the_connector_does_not_sync_exits_1(migrated: Hub, fake: FakeHub) -> None:
    result = migrated("sync", "fk", "-e", "ticket")

    assert result.exit_code == 1
    assert "connector fk does not sync 'ticket'" in result.stderr


def test_sync_needs_a_migrated_database(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_db_engine(hub.database_url)
    make_fake_hub(engine, hub.workspace, monkeypatch)
    engine.dispose()

    result = hub("sync", "fk")

    assert result.exit_code == 1
    assert "run `hub db upgrade` first" in result.stderr


# -- hub sync-runs --------------------------------------------------------------------------------------


def test_sync_runs_list_shows_the_history_newest_first(migrated: Hub, fake: FakeHub) -> None:
    _contacts(fake)
    migrated("sync", "fk", "-e", "customer")
    migrated("sync", "fk", "-e", "customer", "--full")

    result = migrated("sync-runs", "list")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:5] == ["ID", "CONNECTOR", "ENTITY", "MODE", "STATUS"]
    assert [line.split()[3] for line in lines[1:]] == ["full", "incremental"]
    as_json = json.loads(migrated("sync-runs", "list", "--status", "succeeded", "--json").stdout)
    assert [r["counts"]["created"] for r in as_json] == [0, 3]


def test_sync_runs_list_refuses_an_unknown_status(migrated: Hub, fake: FakeHub) -> None:
    result = migrated("sync-runs", "list", "--status", "done")

    assert result.exit_code == 2
    assert "one of queued, running, succeeded, failed, needs_confirmation" in result.output


# -- hub quarantine ---------------------------------------------------------------------------------------


def _quarantine_one(migrated: Hub, fake: FakeHub) -> str:
    fake.source.put("contacts", "C1", name="华为", level="a")
    fake.source.put("contacts", "C2", alias="腾讯", level="a")
    migrated("sync", "fk", "-e", "customer")
    [entry] = json.loads(migrated("quarantine", "list", "--json").stdout)
    return str(entry["id"])


def test_quarantine_list_shows_why_each_record_failed(migrated: Hub, fake: FakeHub) -> None:
    entry_id = _quarantine_one(migrated, fake)

    result = migrated("quarantine", "list")

    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()
    assert header.split() == ["ID", "STATUS", "SOURCE", "EXTERNAL", "ID", "MAPPING", "FIELD", "SEEN", "REASON"]
    assert row.split()[:7] == [entry_id, "pending", "fk/contacts", "C2", "fake-contact", "name", "1"]


def test_quarantine_retry_after_a_mapping_fix_lands_the_record(migrated: Hub, fake: FakeHub) -> None:
    entry_id = _quarantine_one(migrated, fake)
    failed = migrated("quarantine", "retry", entry_id)
    assert failed.exit_code == 1
    assert "0 retried, 1 still pending" in failed.stdout
    fake.write_mapping("fake-contact", FIXED_CONTACT_MAPPING)

    result = migrated("quarantine", "retry", "--all")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"retried {entry_id}: created", "1 retried, 0 still pending"]
    assert "腾讯" in fake.live_customers()
    assert migrated("quarantine", "list", "--json").stdout.strip() == "[]"


def test_quarantine_retry_needs_ids_or_all(migrated: Hub, fake: FakeHub) -> None:
    result = migrated("quarantine", "retry")

    assert result.exit_code == 2
    assert "give quarantined record ids, or --all" in result.output


def test_quarantine_discard(migrated: Hub, fake: FakeHub) -> None:
    entry_id = _quarantine_one(migrated, fake)

    result = migrated("quarantine", "discard", entry_id)

    assert result.exit_code == 0, result.output
    assert result.stdout == f"discarded {entry_id}\n"
    [entry] = json.loads(migrated("quarantine", "list", "--status", "discarded", "--json").stdout)
    assert entry["resolved_by"].startswith("cli:")
    again = migrated("quarantine", "discard", entry_id)
    assert again.exit_code == 1
    assert "already discarded" in again.stderr


# -- hub worker ---------------------------------------------------------------------------------------------


def test_the_worker_runs_queued_syncs_and_stops_gracefully_on_sigterm(migrated: Hub, fake: FakeHub) -> None:
    _contacts(fake)
    with fake.engine.begin() as conn:
        enqueued = enqueue_sync(conn, SyncRequest("fk", "customer"))
    assert enqueued is not None

    async def scenario(engine: Engine) -> None:
        async def stop_when_done() -> None:
            while fake.run(enqueued.run_id)["status"] in ("queued", "running"):
                await asyncio.sleep(0.05)
            os.kill(os.getpid(), signal.SIGTERM)

        stopper = asyncio.create_task(stop_when_done())
        await asyncio.wait_for(run_worker(engine, Settings(workspace=fake.root), concurrency=2), timeout=30)
        await stopper

    asyncio.run(scenario(fake.engine))

    with fake.engine.connect() as conn:
        assert get_job(conn, enqueued.job_id)["status"] == "succeeded"
    assert fake.live_customers() == ["客户1", "客户2", "客户3"]


def test_confirming_deletions_needs_a_full_sync(migrated: Hub, fake: FakeHub) -> None:
    result = migrated("sync", "fk", "--confirm-deletions")

    assert result.exit_code == 2
    assert "only a full sync deletes: add --full" in result.output
