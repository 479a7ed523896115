"""Syncs as jobs: one per connector and entity at a time, run by the worker or in the foreground."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from hub.background import job_handlers
from hub.db.types import utcnow
from hub.errors import ConflictError, RetryableError
from hub.jobs import Worker, claim, get_job
from hub.jobs.queue import JOBS
from hub.settings import Settings
from hub.sync.engine import Progress, SyncRequest
from hub.sync.jobs import Enqueued, enqueue_sync, run_in_foreground
from hub.sync.runs import list_runs
from tests.sync.conftest import HUB_YAML, FakeHub
from tests.sync.fake import Crash


def _settings(fake: FakeHub) -> Settings:
    return Settings(workspace=fake.root, database_url=str(fake.engine.url))


def _enqueue(fake: FakeHub, entity: str = "customer", **kwargs: bool) -> Enqueued | None:
    with fake.engine.begin() as conn:
        return enqueue_sync(conn, SyncRequest("fk", entity, **kwargs))


def _drain(fake: FakeHub) -> None:
    asyncio.run(Worker(fake.engine, job_handlers(fake.engine, _settings(fake))).drain())


def test_a_sync_already_queued_is_not_queued_again(fake: FakeHub) -> None:
    first = _enqueue(fake)
    second = _enqueue(fake)
    other_entity = _enqueue(fake, "order")

    assert first is not None
    assert second is None
    assert other_entity is not None
    with fake.engine.connect() as conn:
        runs = list_runs(conn)[0]
    assert sorted((r["entity"], r["status"], r["job_id"]) for r in runs) == sorted(
        [("customer", "queued", first.job_id), ("order", "queued", other_entity.job_id)]
    )


def test_the_worker_runs_a_queued_sync_in_the_run_created_when_it_was_queued(fake: FakeHub) -> None:
    fake.source.put("contacts", "C1", name="华为", level="a")
    enqueued = _enqueue(fake)
    assert enqueued is not None

    _drain(fake)

    with fake.engine.connect() as conn:
        job = get_job(conn, enqueued.job_id)
    assert job["status"] == "succeeded"
    assert job["result"]["run_id"] == enqueued.run_id
    assert job["result"]["counts"]["created"] == 1
    run = fake.run(enqueued.run_id)
    assert run["status"] == "succeeded"
    assert run["started_at"] is not None
    assert fake.live_customers() == ["华为"]


def test_once_a_sync_is_done_it_can_be_queued_again(fake_sqlite: FakeHub) -> None:
    _enqueue(fake_sqlite)
    _drain(fake_sqlite)

    assert _enqueue(fake_sqlite) is not None


def test_a_job_payload_carries_full_and_confirmation(fake_sqlite: FakeHub) -> None:
    enqueued = _enqueue(fake_sqlite, full=True, confirm_deletions=True)
    assert enqueued is not None

    with fake_sqlite.engine.connect() as conn:
        job = get_job(conn, enqueued.job_id)
    assert job["kind"] == "sync"
    assert job["dedupe_key"] == "sync:fk:customer"
    assert job["payload"] == {"connector": "fk", "entity": "customer", "full": True, "confirm_deletions": True}
    assert fake_sqlite.run(enqueued.run_id)["mode"] == "full"


def test_a_vendor_outage_requeues_the_job_and_records_the_failed_run(fake_sqlite: FakeHub) -> None:
    fake_sqlite.source.put("contacts", "C1", name="华为", level="a")
    fake_sqlite.source.fail_on_page[1] = RetryableError("fake system: HTTP 503")
    enqueued = _enqueue(fake_sqlite)
    assert enqueued is not None

    _drain(fake_sqlite)

    with fake_sqlite.engine.connect() as conn:
        job = get_job(conn, enqueued.job_id)
    assert job["status"] == "queued"
    assert job["attempts"] == 1
    assert "HTTP 503" in job["last_error"]
    assert fake_sqlite.run(enqueued.run_id)["status"] == "failed"


def test_a_configuration_error_fails_the_job_without_retrying(fake_sqlite: FakeHub) -> None:
    fake_sqlite.write_config(HUB_YAML.replace("mapping: fake-contact", "mapping: nope"))
    enqueued = _enqueue(fake_sqlite)
    assert enqueued is not None

    _drain(fake_sqlite)

    with fake_sqlite.engine.connect() as conn:
        job = get_job(conn, enqueued.job_id)
    assert job["status"] == "failed"
    assert "no mapping named 'nope'" in job["last_error"]


def test_a_foreground_sync_holds_the_key_so_nothing_queues_the_same_sync_meanwhile(fake: FakeHub) -> None:
    for n in range(1, 6):
        fake.source.put("contacts", f"C{n}", name=f"客户{n}", level="a")
    attempts: list[object] = []

    def try_to_queue(_progress: Progress) -> None:
        attempts.append(_enqueue(fake))

    outcome = asyncio.run(run_in_foreground(fake.engine, fake.workspace(), SyncRequest("fk", "customer"),
                                            settings=_settings(fake), progress=try_to_queue))

    assert len(attempts) == 4  # 3 pages and the end
    assert all(a is None for a in attempts)
    run = fake.run(outcome.run_id)
    with fake.engine.connect() as conn:
        job = get_job(conn, run["job_id"])
    assert job["status"] == "succeeded"
    assert job["lease_owner"].startswith("cli:")
    assert _enqueue(fake) is not None


def test_a_foreground_sync_takes_over_a_queued_one(fake_sqlite: FakeHub) -> None:
    queued = _enqueue(fake_sqlite)
    assert queued is not None

    outcome = asyncio.run(run_in_foreground(fake_sqlite.engine, fake_sqlite.workspace(),
                                            SyncRequest("fk", "customer", full=True),
                                            settings=_settings(fake_sqlite)))

    assert outcome.run_id == queued.run_id
    assert fake_sqlite.run(queued.run_id)["mode"] == "full"  # what the person asked for
    with fake_sqlite.engine.connect() as conn:
        assert get_job(conn, queued.job_id)["status"] == "succeeded"


def test_a_foreground_sync_refuses_while_a_worker_runs_the_same_sync(fake: FakeHub) -> None:
    queued = _enqueue(fake)
    assert queued is not None
    with fake.engine.begin() as conn:
        claim(conn, "other-worker", ("sync",))

    with pytest.raises(ConflictError, match=r"already running .*other-worker"):
        asyncio.run(run_in_foreground(fake.engine, fake.workspace(), SyncRequest("fk", "customer"),
                                      settings=_settings(fake)))


def test_a_foreground_sync_takes_over_from_a_dead_worker(fake_sqlite: FakeHub) -> None:
    queued = _enqueue(fake_sqlite)
    assert queued is not None
    with fake_sqlite.engine.begin() as conn:
        claim(conn, "dead-worker", ("sync",))
        conn.execute(update(JOBS).values(lease_until=utcnow() - timedelta(minutes=1)))

    outcome = asyncio.run(run_in_foreground(fake_sqlite.engine, fake_sqlite.workspace(),
                                            SyncRequest("fk", "customer"), settings=_settings(fake_sqlite)))

    assert outcome.status == "succeeded"
    with fake_sqlite.engine.connect() as conn:
        assert get_job(conn, queued.job_id)["status"] == "succeeded"


def test_a_failed_foreground_sync_fails_its_job(fake_sqlite: FakeHub) -> None:
    fake_sqlite.source.put("contacts", "C1", name="华为", level="a")
    fake_sqlite.source.crash_after_page = 0

    with pytest.raises(Crash):
        asyncio.run(run_in_foreground(fake_sqlite.engine, fake_sqlite.workspace(), SyncRequest("fk", "customer"),
                                      settings=_settings(fake_sqlite)))

    with fake_sqlite.engine.connect() as conn:
        [run] = list_runs(conn)[0]
        job = get_job(conn, run["job_id"])
    assert job["status"] == "failed"
    assert "Crash" in job["last_error"]
