"""Processing later: mapping -> store -> events; failures quarantined with the raw request, and replayed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hub.api import create_app
from hub.api.hotpaths import HotPaths
from hub.errors import RetryableError
from hub.jobs.worker import Worker
from hub.settings import Settings
from hub.store import find_by_ref
from tests.webhooks.inbound.conftest import Process
from tests.webhooks.inbound.helpers import (
    FIXED_SHOP_ORDER_MAPPING,
    HUB_YAML,
    erp_headers,
    ids,
    order,
    standard_headers,
    stored,
)
from webhooks.inbound import INBOUND_JOB, Contexts, inbound_handler, replay_messages
from webhooks.inbound import processing as processing_module


def _send(client: TestClient, body: bytes) -> str:
    response = client.post("/webhooks/in/erp", content=body, headers=erp_headers())
    assert response.status_code == 202, response.text
    return ids(response)


def _events(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [(t, r) for t, r in conn.exec_driver_sql("SELECT type, record_id FROM events ORDER BY seq")]


def _status(engine: Engine, message_id: str) -> dict[str, Any]:
    return next(r for r in stored(engine) if r["id"] == message_id)


def test_processing_creates_the_record_with_the_source_as_its_system(
    client: TestClient, db_engine: Engine, process: Process
) -> None:
    message_id = _send(client, order("SO-1", state="paid", amount="12.5"))

    [outcome] = process()

    assert outcome.ok
    with db_engine.connect() as conn:
        record = find_by_ref(conn, "order", "erp", "SO-1", "order")
    assert record is not None
    assert (record["number"], record["status"], record["currency"], record["total"]) == ("SO-1", "confirmed", "CNY",
                                                                                          "12.50")
    row = _status(db_engine, message_id)
    assert row["status"] == "processed"
    assert row["result"] == {"records": [{"entity": "order", "id": record["id"], "external_id": "SO-1",
                                          "action": "created", "version": 1}]}
    assert _events(db_engine) == [("order.created", record["id"]), ("order.confirmed", record["id"])]


def test_each_message_about_one_record_keeps_its_own_version_and_events(
    client: TestClient, db_engine: Engine, process: Process
) -> None:
    _send(client, order("SO-1", state="new"))
    _send(client, order("SO-1", state="paid"))

    outcomes = process()  # one batch

    assert [o.result["records"][0]["version"] for o in outcomes if o.result] == [1, 2]
    assert [t for t, _ in _events(db_engine)] == ["order.created", "order.updated", "order.confirmed"]


def test_a_body_with_a_list_stores_every_record(client: TestClient, db_engine: Engine, process: Process) -> None:
    _send(client, b"[" + order("SO-1") + b"," + order("SO-2") + b"]")

    [outcome] = process()

    assert [r["external_id"] for r in outcome.result["records"]] == ["SO-1", "SO-2"]  # type: ignore[index]


def test_processing_a_message_twice_does_nothing_the_second_time(
    client: TestClient, db_engine: Engine, process: Process
) -> None:
    message_id = _send(client, order("SO-1"))
    process(message_id)

    assert process(message_id) == []  # no longer pending
    assert len(_events(db_engine)) == 1


class TestQuarantine:
    def test_a_mapping_failure_is_quarantined_with_the_raw_request(
        self, client: TestClient, db_engine: Engine, process: Process
    ) -> None:
        message_id = _send(client, order("SO-9", state="sent"))  # "sent" is not in the mapping's map

        [outcome] = process()

        assert outcome.status == "quarantined"
        row = _status(db_engine, message_id)
        assert row["status"] == "quarantined"
        assert row["error"]["kind"] == "mapping"
        assert row["error"]["field"] == "status"
        assert row["error"]["external_id"] == "SO-9"
        assert bytes(row["body"]) == order("SO-9", state="sent")
        assert _events(db_engine) == []

    def test_replay_after_the_mapping_fix_stores_it(
        self, client: TestClient, db_engine: Engine, process: Process, workspace: Path
    ) -> None:
        message_id = _send(client, order("SO-9", state="sent"))
        process()
        (workspace / "mappings" / "shop-order.yaml").write_text(FIXED_SHOP_ORDER_MAPPING, encoding="utf-8")

        [outcome] = replay_messages(db_engine, [message_id], Contexts(workspace))

        assert outcome.ok
        assert _status(db_engine, message_id)["status"] == "processed"
        assert _status(db_engine, message_id)["attempts"] == 2
        assert [t for t, _ in _events(db_engine)] == ["order.created"]

    def test_one_bad_message_does_not_hold_back_the_others(
        self, client: TestClient, db_engine: Engine, process: Process
    ) -> None:
        good = _send(client, order("SO-1"))
        bad = _send(client, b'{"state": "new"}')  # no order_id: the mapping's id is missing
        also_good = _send(client, order("SO-2"))

        outcomes = {o.id: o.status for o in process()}

        assert outcomes == {good: "processed", bad: "quarantined", also_good: "processed"}

    def test_a_source_removed_from_hub_yaml_is_quarantined(
        self, client: TestClient, db_engine: Engine, process: Process, workspace: Path
    ) -> None:
        message_id = _send(client, order("SO-1"))
        (workspace / "hub.yaml").write_text(HUB_YAML.split("  erp:")[0], encoding="utf-8")

        [outcome] = process()

        assert outcome.status == "quarantined"
        assert outcome.error == {"kind": "config", "message": "source 'erp' is no longer in hub.yaml"}
        assert _status(db_engine, message_id)["status"] == "quarantined"

    def test_a_crashing_processor_quarantines_only_the_message_it_crashes_on(
        self, client: TestClient, db_engine: Engine, workspace: Path
    ) -> None:
        first, second = _send(client, order("SO-1")), _send(client, order("SO-2"))
        real = processing_module.default_registry.get("webhook")

        def flaky(conn: Any, messages: Any, context: Any) -> Any:
            if any(m.id == second for m in messages):
                raise ValueError("boom")
            return real(conn, messages, context)

        registry = processing_module.ProcessorRegistry(loaded={"webhook": flaky})

        outcomes = processing_module.process_messages(db_engine, [first, second], Contexts(workspace),
                                                      registry=registry)

        assert {o.id: o.status for o in outcomes} == {first: "processed", second: "quarantined"}
        assert _status(db_engine, second)["error"] == {"kind": "error",
                                                       "message": "processing failed: ValueError: boom"}


def test_a_message_is_stored_before_the_answer_even_when_processing_fails(
    client: TestClient, db_engine: Engine, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*_: Any) -> Any:
        raise RetryableError("the database is busy")

    monkeypatch.setitem(processing_module.default_registry.loaded, "webhook", unavailable)
    body = order("SO-1")
    response = client.post("/webhooks/in/shop", content=body, headers=standard_headers(body, "msg_1"))
    handler = inbound_handler(db_engine, Settings(workspace=workspace))
    worker = Worker(db_engine, {INBOUND_JOB: handler})

    asyncio.run(worker.drain())  # the job fails and is queued again for later

    assert response.status_code == 202
    assert _status(db_engine, ids(response))["status"] == "pending"
    with db_engine.connect() as conn:
        [(status, error)] = conn.exec_driver_sql("SELECT status, last_error FROM jobs").all()
    assert (status, error) == ("queued", "retryable: the database is busy")

    monkeypatch.undo()
    with db_engine.begin() as conn:  # the retry is due now
        conn.exec_driver_sql("UPDATE jobs SET run_after = '2000-01-01T00:00:00.000000+00:00'")
    asyncio.run(worker.drain())

    assert _status(db_engine, ids(response))["status"] == "processed"
    assert [t for t, _ in _events(db_engine)] == ["order.created"]


def test_the_worker_processes_what_the_endpoint_stored(
    client: TestClient, db_engine: Engine, workspace: Path
) -> None:
    sent = [_send(client, order(f"SO-{i}")) for i in range(5)]
    worker = Worker(db_engine, {INBOUND_JOB: inbound_handler(db_engine, Settings(workspace=workspace))})

    asyncio.run(worker.drain())

    assert {r["id"]: r["status"] for r in stored(db_engine)} == dict.fromkeys(sent, "processed")
    with db_engine.connect() as conn:
        results = [r for (r,) in conn.exec_driver_sql("SELECT status FROM jobs")]
    assert results == ["succeeded"] * len(results)


def test_a_message_locked_by_another_transaction_is_tried_again_not_dropped(
    pg_engine: Engine, workspace: Path
) -> None:
    # A dead worker's transaction can hold a message for a moment after its lease was taken over:
    # skipping the message is right, counting the job as done is not.
    with TestClient(HotPaths(create_app(Settings(workspace=workspace), engine=pg_engine))) as client:
        held, free = (_send(client, order(f"SO-{n}")) for n in range(2))
    contexts = Contexts(workspace)
    with pg_engine.connect() as holder:  # its transaction begins with this statement
        holder.exec_driver_sql("SELECT id FROM inbound_messages WHERE id = %s FOR UPDATE", (held,))

        with pytest.raises(RetryableError, match="locked by another transaction") as raised:
            processing_module.process_messages(pg_engine, [held, free], contexts)

        assert raised.value.details == {"ids": [held]}
        assert (_status(pg_engine, held)["status"], _status(pg_engine, free)["status"]) == ("pending", "processed")
        holder.rollback()  # the holder dies without finishing

    [outcome] = processing_module.process_messages(pg_engine, [held, free], contexts)  # the job's retry

    assert (outcome.id, outcome.status) == (held, "processed")
