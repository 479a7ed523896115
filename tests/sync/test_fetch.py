"""Fetch jobs: records a vendor callback named are fetched by id and land exactly as a sync page would."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update

from hub.background import job_handlers
from hub.db.types import utcnow
from hub.errors import ConflictError, HubError, RetryableError
from hub.jobs import Worker, claim, get_job
from hub.jobs.queue import JOBS
from hub.sdk import ConnectorContext
from hub.settings import Settings
from hub.sync.fetch import FETCH_JOB, enqueue_fetch, fetch_key, tombstone_external
from hub.sync.quarantine import list_entries
from tests.sync.conftest import FakeHub
from tests.sync.fake import FakeSettings

Calls = list[tuple[str, list[str]]]


def can_fetch(fake: FakeHub, monkeypatch: pytest.MonkeyPatch, *, failures: Sequence[HubError] = (),
              during: Any = None) -> Calls:
    """Give the fake connector ``fetch`` (reading its source by id); returns each call's (stream, ids)."""
    calls: Calls = []
    pending = list(failures)
    contexts: list[Any] = []

    class Fetching(fake.connector):  # type: ignore[name-defined,misc]
        async def fetch(self, stream: str, ids: Sequence[str]) -> list[dict[str, Any]]:
            calls.append((stream, list(ids)))
            contexts.append((self.settings, self.context))
            if during is not None:
                during()
            if pending:
                raise pending.pop(0)
            records = self.source.streams[stream]
            return [dict(records[i]) for i in ids if i in records]

    monkeypatch.setattr("hub.sdk.registry.connector_types", lambda: {"fake": Fetching})
    fake.fetch_contexts = contexts  # type: ignore[attr-defined]
    return calls


def enqueue(fake: FakeHub, entity: str, *ids: str, connector: str = "fk") -> str | None:
    with fake.engine.begin() as conn:
        return enqueue_fetch(conn, connector, entity, list(ids))


def drain(fake: FakeHub) -> None:
    settings = Settings(workspace=fake.root, database_url=str(fake.engine.url))
    asyncio.run(Worker(fake.engine, job_handlers(fake.engine, settings)).drain())


def job(fake: FakeHub, job_id: str) -> dict[str, Any]:
    with fake.engine.connect() as conn:
        return get_job(conn, job_id)


def fetch_jobs(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(JOBS).where(JOBS.c.kind == FETCH_JOB).order_by(JOBS.c.created_at)).mappings()
        return [dict(r) for r in rows]


def pending_quarantine(fake: FakeHub) -> list[dict[str, Any]]:
    with fake.engine.connect() as conn:
        return list_entries(conn, connector="fk")[0]


# -- queueing ----------------------------------------------------------------------------------------------------


def test_ids_for_the_same_entity_join_the_job_still_waiting(fake: FakeHub) -> None:
    first = enqueue(fake, "customer", "C1", "C2")
    second = enqueue(fake, "customer", "C2", "C3")
    other_entity = enqueue(fake, "order", "O1")

    assert first is not None
    assert second == first
    assert other_entity not in (None, first)
    assert job(fake, first)["payload"] == {"connector": "fk", "entity": "customer", "ids": ["C1", "C2", "C3"]}
    assert job(fake, first)["dedupe_key"] == fetch_key("fk", "customer")


def test_nothing_is_queued_without_ids(fake_sqlite: FakeHub) -> None:
    assert enqueue(fake_sqlite, "customer") is None
    assert fetch_jobs(fake_sqlite.engine) == []


def test_a_single_id_passed_as_a_string_is_refused(fake_sqlite: FakeHub) -> None:
    with fake_sqlite.engine.begin() as conn, pytest.raises(TypeError, match="not a single string"):
        enqueue_fetch(conn, "fk", "customer", "C1")


def test_ids_arriving_while_the_job_runs_get_a_job_of_their_own(fake_sqlite: FakeHub) -> None:
    first = enqueue(fake_sqlite, "customer", "C1")
    with fake_sqlite.engine.begin() as conn:
        [claimed] = claim(conn, "w1", (FETCH_JOB,))

    second = enqueue(fake_sqlite, "customer", "C2")

    assert claimed.id == first
    assert second not in (None, first)
    assert job(fake_sqlite, first)["payload"]["ids"] == ["C1"]
    assert job(fake_sqlite, str(second))["payload"]["ids"] == ["C2"]


def test_a_full_waiting_job_is_not_grown_further(fake_sqlite: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hub.sync.fetch.MAX_IDS_PER_JOB", 3)
    first = enqueue(fake_sqlite, "customer", "C1", "C2")

    second = enqueue(fake_sqlite, "customer", "C3", "C4")

    assert second not in (None, first)
    assert job(fake_sqlite, str(first))["payload"]["ids"] == ["C1", "C2"]
    assert job(fake_sqlite, str(second))["payload"]["ids"] == ["C3", "C4"]


# -- landing -----------------------------------------------------------------------------------------------------


def test_fetched_records_land_with_events_like_a_sync_page(fake: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = can_fetch(fake, monkeypatch)
    fake.source.put("contacts", "C1", name="华为", level="a")
    fake.source.put("contacts", "C2", name="美团", level="b")
    job_id = enqueue(fake, "customer", "C1", "C2", "GONE")
    assert job_id is not None

    drain(fake)

    assert calls == [("contacts", ["C1", "C2", "GONE"])]
    assert fake.live_customers() == ["华为", "美团"]
    done = job(fake, job_id)
    assert done["status"] == "succeeded"
    assert done["result"]["asked"] == 3
    assert done["result"]["counts"] == {"read": 2, "created": 2, "updated": 0, "unchanged": 0, "quarantined": 0,
                                        "deleted": 0}
    assert fake.count("events", "WHERE type = 'customer.created'") == 2
    assert fake.count("record_refs", "WHERE system = 'fake' AND object = 'contacts' AND mapping = 'fake-contact'") == 2


def test_fetching_an_unchanged_record_again_changes_nothing(fake_sqlite: FakeHub,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    can_fetch(fake_sqlite, monkeypatch)
    fake_sqlite.source.put("contacts", "C1", name="华为", level="a")
    enqueue(fake_sqlite, "customer", "C1")
    drain(fake_sqlite)
    events, versions = fake_sqlite.count("events"), fake_sqlite.count("record_versions")

    job_id = enqueue(fake_sqlite, "customer", "C1")
    drain(fake_sqlite)

    assert job(fake_sqlite, str(job_id))["result"]["counts"]["unchanged"] == 1
    assert (fake_sqlite.count("events"), fake_sqlite.count("record_versions")) == (events, versions)


def test_the_connector_is_built_like_a_syncs(fake_sqlite: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    can_fetch(fake_sqlite, monkeypatch)
    enqueue(fake_sqlite, "customer", "C1")

    drain(fake_sqlite)

    [(settings, context)] = fake_sqlite.fetch_contexts  # type: ignore[attr-defined]
    assert settings.api_token.get_secret_value() == "tok-0123456789abcdef"  # ${FAKE_TOKEN} resolved
    assert (context.name, context.system) == ("fk", "fake")
    assert context.engine is fake_sqlite.engine


def test_a_bad_record_is_quarantined_and_settled_when_it_is_fetched_fixed(
    fake_sqlite: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    can_fetch(fake_sqlite, monkeypatch)
    fake_sqlite.source.put("contacts", "C1", alias="腾讯", level="a")  # no name: the mapping refuses it
    enqueue(fake_sqlite, "customer", "C1")
    drain(fake_sqlite)
    [entry] = pending_quarantine(fake_sqlite)
    assert (entry["external_id"], entry["stream"], entry["error"]["field"], entry["run_id"]) == ("C1", "contacts",
                                                                                                 "name", None)

    fake_sqlite.source.put("contacts", "C1", name="腾讯", level="a")
    enqueue(fake_sqlite, "customer", "C1")
    drain(fake_sqlite)

    assert pending_quarantine(fake_sqlite) == []
    assert fake_sqlite.live_customers() == ["腾讯"]


def test_a_fetched_payment_attaches_to_its_order_or_is_quarantined(fake_sqlite: FakeHub,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    can_fetch(fake_sqlite, monkeypatch)
    fake_sqlite.source.put("orders", "O1", number="SO-1", state="ok", total="10")
    fake_sqlite.source.put("payments", "O1", order_id="O1", state="full", amount="10")
    fake_sqlite.source.put("payments", "O9", order_id="O9", state="full", amount="5")
    enqueue(fake_sqlite, "order", "O1")
    drain(fake_sqlite)

    enqueue(fake_sqlite, "order", "O1", "O9", connector="fk-pay")
    drain(fake_sqlite)

    with fake_sqlite.engine.connect() as conn:
        paid = conn.execute(text("SELECT payment_status FROM orders")).scalars().all()
        [entry] = list_entries(conn, connector="fk-pay")[0]
    assert paid == ["paid"]
    assert entry["external_id"] == "O9"
    assert "sync orders first" in entry["error"]["message"]


def test_ids_are_fetched_in_chunks(fake_sqlite: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hub.sync.fetch.FETCH_CHUNK", 2)
    calls = can_fetch(fake_sqlite, monkeypatch)

    enqueue(fake_sqlite, "customer", "C1", "C2", "C3", "C4", "C5")
    drain(fake_sqlite)

    assert [ids for _, ids in calls] == [["C1", "C2"], ["C3", "C4"], ["C5"]]


# -- failures ----------------------------------------------------------------------------------------------------


def test_a_retryable_failure_queues_the_job_again_and_the_retry_lands(fake_sqlite: FakeHub,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    calls = can_fetch(fake_sqlite, monkeypatch, failures=[RetryableError("vendor busy (-1)")])
    fake_sqlite.source.put("contacts", "C1", name="华为", level="a")
    job_id = str(enqueue(fake_sqlite, "customer", "C1"))

    drain(fake_sqlite)
    waiting = job(fake_sqlite, job_id)
    with fake_sqlite.engine.begin() as conn:  # skip the backoff
        conn.execute(update(JOBS).where(JOBS.c.id == job_id).values(run_after=utcnow()))
    drain(fake_sqlite)

    assert (waiting["status"], waiting["attempts"]) == ("queued", 1)
    assert "vendor busy" in waiting["last_error"]
    assert job(fake_sqlite, job_id)["status"] == "succeeded"
    assert len(calls) == 2
    assert fake_sqlite.live_customers() == ["华为"]


def test_the_default_fetch_is_a_conflict_naming_the_stream(fake_sqlite: FakeHub) -> None:
    connector = fake_sqlite.connector(FakeSettings(base_url="http://fake.test/"), ConnectorContext("fk", "fake"))

    with pytest.raises(ConflictError, match="connector type fake cannot fetch records of stream 'contacts' by id"):
        asyncio.run(connector.fetch("contacts", ["C1"]))


def test_a_connector_that_cannot_fetch_fails_the_job_with_why(fake_sqlite: FakeHub) -> None:
    job_id = str(enqueue(fake_sqlite, "customer", "C1"))

    drain(fake_sqlite)

    failed = job(fake_sqlite, job_id)
    assert (failed["status"], failed["attempts"]) == ("failed", 1)
    assert "config_error: connector fk (type fake) cannot fetch records by id" in failed["last_error"]


def test_a_connector_removed_from_hub_yaml_fails_the_job_with_why(fake_sqlite: FakeHub,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    can_fetch(fake_sqlite, monkeypatch)
    job_id = str(enqueue(fake_sqlite, "customer", "C1", connector="gone"))

    drain(fake_sqlite)

    failed = job(fake_sqlite, job_id)
    assert failed["status"] == "failed"
    assert "cannot fetch customer records of connector gone: no connector named 'gone'" in failed["last_error"]


def test_events_arriving_during_a_fetch_queue_a_new_job(fake_sqlite: FakeHub,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    queued: list[str | None] = []
    can_fetch(fake_sqlite, monkeypatch, during=lambda: queued.append(enqueue(fake_sqlite, "customer", "C2"))
              if not queued else None)
    first = enqueue(fake_sqlite, "customer", "C1")

    drain(fake_sqlite)  # runs the first job, then the one queued while it ran

    assert queued[0] not in (None, first)
    assert [(j["status"], j["payload"]["ids"]) for j in fetch_jobs(fake_sqlite.engine)] == [
        ("succeeded", ["C1"]), ("succeeded", ["C2"])]


# -- deletions ---------------------------------------------------------------------------------------------------


def test_tombstone_external_deletes_the_live_records_it_names(fake: FakeHub) -> None:
    fake.source.put("contacts", "C1", name="华为", level="a")
    fake.source.put("contacts", "C2", name="美团", level="b")
    fake.sync()
    workspace = fake.workspace()

    with fake.engine.begin() as conn:
        deleted = tombstone_external(conn, workspace, "fk", "customer", ["C1", "NEVER-SEEN"], now=utcnow())
    with fake.engine.begin() as conn:
        again = tombstone_external(conn, workspace, "fk", "customer", ["C1"], now=utcnow())

    assert (deleted, again) == (1, 0)
    assert fake.live_customers() == ["美团"]
    assert fake.count("events", "WHERE type = 'customer.deleted'") == 1
