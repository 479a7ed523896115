"""Crash safety: a page's records, quarantine entries and cursor commit together; the next run resumes."""

from __future__ import annotations

from typing import Any

import pytest

from hub.errors import RateLimitedError, RetryableError
from hub.sdk.contract import StreamState
from hub.sync import engine as sync_engine
from hub.sync.runs import create_run, list_runs
from hub.sync.state import load_state
from tests.sync.conftest import FakeHub
from tests.sync.fake import Crash


def _nine_contacts(fake: FakeHub) -> None:
    for number in range(1, 10):
        fake.source.put("contacts", f"C{number}", name=f"客户{number}", level="a")


def _cursor(fake: FakeHub) -> Any:
    with fake.engine.connect() as conn:
        return load_state(conn, "fk", "contacts").cursor


def test_a_crash_between_pages_keeps_the_committed_pages_and_their_cursor(fake: FakeHub) -> None:
    _nine_contacts(fake)
    fake.source.crash_after_page = 2

    with pytest.raises(Crash):
        fake.sync()

    assert fake.count("customers") == 4
    assert _cursor(fake) == 4
    with fake.engine.connect() as conn:
        [run] = list_runs(conn)[0]
    assert run["status"] == "failed"
    assert run["error"] == "Crash: crashed before page 3"
    assert run["pages"] == 2
    assert run["counts"]["created"] == 4


def test_the_next_run_resumes_without_losing_or_duplicating_anything(fake: FakeHub) -> None:
    _nine_contacts(fake)
    fake.source.crash_after_page = 2
    with pytest.raises(Crash):
        fake.sync()

    outcome = fake.sync()

    assert fake.source.reads[-1] == ("contacts", False, 4)
    assert outcome.counts.created == 5
    assert outcome.counts.unchanged == 1  # the boundary record, read again
    assert fake.count("customers") == 9
    assert fake.count("record_refs") == 9
    assert fake.count("record_versions") == 9
    assert fake.count("events") == 9
    assert fake.count("events", "WHERE type = 'customer.created'") == 9


def test_a_failure_while_committing_a_page_leaves_neither_its_records_nor_its_cursor(
    fake: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    _nine_contacts(fake)
    real = sync_engine.save_state
    calls = 0

    def failing_second_save(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("disk full")
        real(*args, **kwargs)

    monkeypatch.setattr(sync_engine, "save_state", failing_second_save)
    with pytest.raises(RuntimeError, match="disk full"):
        fake.sync()

    assert fake.count("customers") == 2
    assert fake.count("events") == 2
    assert _cursor(fake) == 2
    monkeypatch.setattr(sync_engine, "save_state", real)
    fake.sync()
    assert fake.count("customers") == 9
    assert fake.count("events") == 9


@pytest.mark.parametrize(
    "error",
    [RetryableError("fake system: HTTP 503"), RateLimitedError("fake system: too many calls", retry_after=30)],
    ids=["retryable", "rate-limited"],
)
def test_a_vendor_error_on_a_page_fails_the_run_and_raises_for_the_worker_to_retry(
    fake_sqlite: FakeHub, error: RetryableError
) -> None:
    _nine_contacts(fake_sqlite)
    fake_sqlite.source.fail_on_page[3] = error

    with pytest.raises(type(error)):
        fake_sqlite.sync()

    assert fake_sqlite.count("customers") == 4
    with fake_sqlite.engine.connect() as conn:
        [run] = list_runs(conn)[0]
    assert run["status"] == "failed"
    assert run["error"] == f"{error.code}: {error.message}"
    outcome = fake_sqlite.sync()
    assert outcome.counts.created == 5
    assert fake_sqlite.count("events") == 9


def test_a_run_left_running_by_a_dead_process_is_marked_interrupted_when_the_next_starts(fake_sqlite: FakeHub) -> None:
    with fake_sqlite.engine.begin() as conn:
        stale = create_run(conn, "fk", "customer", full=False, status="running")

    fake_sqlite.sync()

    stale_run = fake_sqlite.run(stale)
    assert stale_run["status"] == "failed"
    assert "interrupted" in stale_run["error"]


def test_the_state_of_one_connector_is_its_own(fake_sqlite: FakeHub) -> None:
    _nine_contacts(fake_sqlite)

    fake_sqlite.sync()

    with fake_sqlite.engine.connect() as conn:
        assert load_state(conn, "fk", "contacts") == StreamState(9)
        assert load_state(conn, "fk-pay", "contacts") == StreamState()
