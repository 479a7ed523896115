"""The scheduler only enqueues, when a schedule is due; on PostgreSQL exactly one process leads."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text

from hub.errors import ConfigError
from hub.sync.jobs import Enqueued
from hub.sync.scheduler import SCHEDULER_LOCK, SyncScheduler
from hub.sync.schedules import ScheduledSync, interval_of, scheduled_syncs, trigger_for
from tests.sync.conftest import HUB_YAML, FakeHub, make_fake_hub


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [("every 30s", timedelta(seconds=30)), ("every 2m", timedelta(minutes=2)), ("every 1h", timedelta(hours=1)),
     ("every 1d", timedelta(days=1)), ("*/10 * * * *", None)],
    ids=["seconds", "minutes", "hours", "days", "cron"],
)
def test_every_n_units_is_an_interval(schedule: str, expected: timedelta | None) -> None:
    assert interval_of(schedule) == expected


def test_a_cron_schedule_fires_in_the_configured_time_zone() -> None:
    trigger = trigger_for("0 9 * * 1-5", ZoneInfo("Asia/Shanghai"))  # 09:00 Beijing time on weekdays

    fire = trigger.get_next_fire_time(None, datetime(2026, 1, 5, 0, 30, tzinfo=UTC))  # Monday 08:30 in Beijing

    assert fire == datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def test_an_interval_fires_that_long_after_the_last_time() -> None:
    trigger = trigger_for("every 2m", UTC)
    last = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)

    assert trigger.get_next_fire_time(last, last + timedelta(seconds=1)) == last + timedelta(minutes=2)


def test_every_scheduled_entity_of_every_connector_is_listed(fake_sqlite: FakeHub) -> None:
    assert scheduled_syncs(fake_sqlite.workspace()) == [
        ScheduledSync("fk", "customer", "every 2m"),
        ScheduledSync("fk", "order", "*/10 * * * *"),
    ]


def test_a_due_schedule_enqueues_an_incremental_sync_and_never_runs_it(fake_sqlite: FakeHub) -> None:
    fake_sqlite.source.put("contacts", "C1", name="华为", level="a")
    queued: list[Enqueued] = []
    scheduler = SyncScheduler(fake_sqlite.engine, fake_sqlite.workspace, on_enqueued=queued.append)

    assert scheduler.tick() is True  # SQLite: the one process always leads
    enqueued = scheduler.enqueue("fk", "customer")

    assert enqueued is not None
    assert queued == [enqueued]
    assert fake_sqlite.run(enqueued.run_id)["status"] == "queued"
    assert fake_sqlite.run(enqueued.run_id)["mode"] == "incremental"
    assert fake_sqlite.source.reads == []  # nothing was read: a worker will run it
    assert fake_sqlite.count("customers") == 0


def test_a_schedule_firing_while_its_sync_is_queued_or_running_enqueues_nothing(fake_sqlite: FakeHub) -> None:
    scheduler = SyncScheduler(fake_sqlite.engine, fake_sqlite.workspace)
    scheduler.tick()

    first = scheduler.enqueue("fk", "customer")
    second = scheduler.enqueue("fk", "customer")

    assert first is not None
    assert second is None
    assert fake_sqlite.count("jobs") == 1


def test_started_it_schedules_every_entity_and_follows_hub_yaml_changes(fake_sqlite: FakeHub) -> None:
    scheduler = SyncScheduler(fake_sqlite.engine, fake_sqlite.workspace, tick_seconds=3600)

    async def scenario() -> tuple[set[str], set[str]]:
        await scheduler.start()
        try:
            assert scheduler._aps is not None
            before = {job.id for job in scheduler._aps.get_jobs()}
            fake_sqlite.write_config(HUB_YAML.replace(', schedule: "*/10 * * * *"', ""))
            await scheduler._tick_job()
            after = {job.id for job in scheduler._aps.get_jobs()}
            return before, after
        finally:
            await scheduler.stop()

    before, after = asyncio.run(scenario())

    assert before == {"hub:scheduler-tick", "sync:fk:customer", "sync:fk:order"}
    assert after == {"hub:scheduler-tick", "sync:fk:customer"}


def test_a_broken_hub_yaml_keeps_the_last_good_schedules(fake_sqlite: FakeHub) -> None:
    scheduler = SyncScheduler(fake_sqlite.engine, fake_sqlite.workspace, tick_seconds=3600)

    async def scenario() -> set[str]:
        await scheduler.start()
        try:
            fake_sqlite.write_config("connectors: [\n")
            await scheduler._tick_job()
            assert scheduler._aps is not None
            return {job.id for job in scheduler._aps.get_jobs()}
        finally:
            await scheduler.stop()

    assert asyncio.run(scenario()) == {"hub:scheduler-tick", "sync:fk:customer", "sync:fk:order"}


# -- one leader on PostgreSQL --------------------------------------------------------------------


@pytest.fixture
def pg_fake(pg_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    return make_fake_hub(pg_engine, tmp_path / "ws", monkeypatch)


def test_on_postgresql_only_one_scheduler_leads(pg_fake: FakeHub) -> None:
    first = SyncScheduler(pg_fake.engine, pg_fake.workspace)
    second = SyncScheduler(pg_fake.engine, pg_fake.workspace)
    try:
        assert first.tick() is True
        assert second.tick() is False
        assert second.enqueue("fk", "customer") is None  # a follower never enqueues
        assert first.enqueue("fk", "customer") is not None
        assert first.tick() is True  # and keeps leading
    finally:
        first.leadership.release()
        second.leadership.release()


def test_another_scheduler_takes_over_when_the_leader_lets_go(pg_fake: FakeHub) -> None:
    first = SyncScheduler(pg_fake.engine, pg_fake.workspace)
    second = SyncScheduler(pg_fake.engine, pg_fake.workspace)
    try:
        first.tick()
        assert second.tick() is False

        asyncio.run(first.stop())

        assert second.tick() is True
        assert first.tick() is False
    finally:
        first.leadership.release()
        second.leadership.release()


def test_another_scheduler_takes_over_when_the_leaders_session_dies(pg_fake: FakeHub) -> None:
    first = SyncScheduler(pg_fake.engine, pg_fake.workspace)
    second = SyncScheduler(pg_fake.engine, pg_fake.workspace)
    try:
        first.tick()
        with pg_fake.engine.connect() as conn:  # what happens to the session when its process is killed
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND "
                     "((classid::bigint << 32) | objid::bigint) = :key"),
                {"key": SCHEDULER_LOCK},
            )

        assert second.tick() is True
        assert first.tick() is False  # it notices its session is gone, and the lock is taken
        assert first.enqueue("fk", "customer") is None
    finally:
        first.leadership.release()
        second.leadership.release()


@pytest.mark.parametrize(
    ("line", "monday_0830", "expected"),
    [
        ("0 9 * * 1-5", "2026-01-05T00:30", "2026-01-05T01:00"),  # weekdays from Monday = 1, as in cron
        ("0 9 * * 0", "2026-01-05T00:30", "2026-01-11T01:00"),  # 0 is Sunday
        ("0 9 * * 7", "2026-01-05T00:30", "2026-01-11T01:00"),  # and so is 7
        ("0 9 * * sat", "2026-01-05T00:30", "2026-01-10T01:00"),
        ("0 9 ? * 1-5", "2026-01-05T00:30", "2026-01-05T01:00"),
    ],
    ids=["mon-fri", "sunday-0", "sunday-7", "names", "question-mark"],
)
def test_cron_weekdays_mean_what_cron_means(line: str, monday_0830: str, expected: str) -> None:
    now = datetime.fromisoformat(monday_0830).replace(tzinfo=UTC)

    fire = trigger_for(line, ZoneInfo("Asia/Shanghai")).get_next_fire_time(None, now)

    assert fire == datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize("line", ["99 * * * *", "* * * * 8", "* * 32 * *"], ids=["minute", "weekday", "day"])
def test_an_impossible_cron_line_is_a_hub_yaml_error_with_its_line(fake_sqlite: FakeHub, line: str) -> None:
    fake_sqlite.write_config(HUB_YAML.replace('"*/10 * * * *"', f'"{line}"'))

    with pytest.raises(ConfigError, match=r"hub.yaml:9: connectors.fk.entities.order.schedule: invalid cron"):
        fake_sqlite.workspace()
