"""Two writers at once on PostgreSQL (SQLite serialises writers): nothing duplicated, a lost race is retryable."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from hub.errors import RetryableError
from hub.store import SourceRecord, list_records, upsert_records
from tests.store.helpers import kingdee_customer, upsert, wecom_contact


def _in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except Exception as exc:  # handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_customers_written_at_once_by_two_processes_resolve_to_one_record(pg_engine: Engine) -> None:
    with pg_engine.begin() as first:
        upsert_records(first, "customer", [kingdee_customer("C001", tax_id="91310000MA1FL0001X")])
        thread, outcome = _in_thread(
            lambda: upsert(pg_engine, "customer", wecom_contact("wo1", tax_id="91310000MA1FL0001X"))
        )
        time.sleep(0.3)  # the second writer is now waiting for the first to commit
        assert thread.is_alive()
    thread.join(10)

    assert "error" not in outcome
    with pg_engine.connect() as conn:
        [customer] = list_records(conn, "customer").items
    assert {r["system"] for r in customer["refs"]} == {"kingdee", "wecom"}


def test_a_lost_race_on_the_same_source_record_is_retryable_and_a_retry_converges(pg_engine: Engine) -> None:
    order = SourceRecord("kingdee", "SAL_SaleOrder", "SO-1", {"number": "SO-1", "status": "confirmed"})
    with pg_engine.begin() as first:
        upsert_records(first, "order", [order])
        thread, outcome = _in_thread(lambda: upsert(pg_engine, "order", order))
        time.sleep(0.3)  # the second writer read no ref and now waits on the unique crosswalk key
    thread.join(10)

    assert isinstance(outcome.get("error"), RetryableError)
    [retried] = upsert(pg_engine, "order", order)
    assert retried.action == "unchanged"
    with pg_engine.connect() as conn:
        assert len(list_records(conn, "order").items) == 1
