"""Fan-out: each event a subscription wants becomes a delivery in the event's own transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from hub.db.types import utcnow
from hub.events.outbox import NewEvent, append_events, list_events
from hub.security.secrets import SecretBox
from tests.webhooks.outbound.conftest import Emit, Subscribe, deliveries
from webhooks.outbound.subscriptions import set_enabled


def test_a_matching_event_gets_a_delivery_with_its_id_seq_record_and_exact_body(
    engine: Engine, subscribe: Subscribe, emit: Emit
) -> None:
    subscribe("mes", events=["order.confirmed"])

    [event_id] = emit("order.confirmed", {"number": "SO-1", "total": "12.50", "note": "加急"}, record="ord_7")

    [delivery] = deliveries(engine)
    with engine.connect() as conn:
        [event] = list_events(conn)
    assert delivery["event_id"] == event_id
    assert delivery["event_seq"] == event["seq"]
    assert delivery["record_id"] == "ord_7"
    assert (delivery["status"], delivery["attempts"]) == ("pending", 0)
    assert json.loads(delivery["body"]) == {k: event[k] for k in ("type", "timestamp", "data")}
    assert "加急" in delivery["body"]  # UTF-8 as is, not \\u escapes


def test_an_event_rolled_back_leaves_no_delivery(engine: Engine, subscribe: Subscribe) -> None:
    subscribe("mes", events=["order.*"])

    def write_then_fail() -> None:
        with engine.begin() as conn:
            append_events(conn, [NewEvent("order.created", "order", "ord_1", 1, {"id": "ord_1"})], now=utcnow())
            assert len(deliveries_in(conn)) == 1  # visible inside the transaction...
            raise RuntimeError("the store failed after writing the event")

    with pytest.raises(RuntimeError):
        write_then_fail()

    assert deliveries(engine) == []  # ...and gone with it


def deliveries_in(conn: object) -> list[object]:
    from sqlalchemy import Connection, select

    from webhooks.outbound.tables import DELIVERIES

    assert isinstance(conn, Connection)
    return list(conn.execute(select(DELIVERIES.c.id)))


@pytest.mark.parametrize(
    ("patterns", "event_type", "wanted"),
    [
        (["order.confirmed"], "order.confirmed", True),
        (["order.confirmed"], "order.created", False),
        (["order.*"], "order.paid", True),
        (["order.*"], "customer.created", False),
        (["*"], "ticket.resolved", True),
        (["*.created"], "contract.created", True),
        (["customer.created", "order.*"], "order.updated", True),
    ],
    ids=lambda v: str(v),
)
def test_event_type_patterns(
    engine: Engine, subscribe: Subscribe, emit: Emit, patterns: list[str], event_type: str, wanted: bool
) -> None:
    subscribe("mes", events=patterns)

    emit(event_type)

    assert len(deliveries(engine)) == (1 if wanted else 0)


def test_the_filter_selects_on_the_record(engine: Engine, subscribe: Subscribe, emit: Emit) -> None:
    subscribe("cny", events=["order.*"], filter={"currency": "CNY", "status": ["confirmed", "shipped"]})

    emit("order.updated", {"currency": "CNY", "status": "shipped"}, record="ord_1")
    emit("order.updated", {"currency": "USD", "status": "shipped"}, record="ord_2")
    emit("order.updated", {"currency": "CNY", "status": "draft"}, record="ord_3")

    assert [d["record_id"] for d in deliveries(engine)] == ["ord_1"]


def test_each_subscription_gets_its_own_delivery_of_one_event(engine: Engine, subscribe: Subscribe,
                                                               emit: Emit) -> None:
    subscribe("mes", events=["order.*"])
    subscribe("crm", events=["*"])
    subscribe("tickets", events=["ticket.*"])

    [event_id] = emit("order.confirmed")

    found = deliveries(engine)
    assert len(found) == 2
    assert {d["event_id"] for d in found} == {event_id}


def test_a_disabled_subscription_gets_no_deliveries(engine: Engine, box: SecretBox, subscribe: Subscribe,
                                                    emit: Emit) -> None:
    subscribe("mes", events=["*"])
    with engine.begin() as conn:
        set_enabled(conn, box, "mes", False, now=utcnow())

    emit("order.created")

    assert deliveries(engine) == []


def test_without_subscriptions_events_are_written_as_before(engine: Engine, emit: Emit) -> None:
    ids = emit("order.created", now=datetime(2026, 1, 1, tzinfo=UTC))

    with engine.connect() as conn:
        assert [e["id"] for e in list_events(conn)] == ids
    assert deliveries(engine) == []


def test_a_batch_of_events_keeps_sequence_order_in_its_deliveries(engine: Engine, subscribe: Subscribe) -> None:
    subscribe("mes", events=["*"])
    events = [NewEvent("order.updated", "order", f"ord_{i}", i, {"id": f"ord_{i}", "n": i}) for i in range(20)]

    with engine.begin() as conn:
        ids = append_events(conn, events, now=utcnow())
        seqs = {e["id"]: e["seq"] for e in list_events(conn, limit=100)}

    found = deliveries(engine)
    assert [d["event_id"] for d in found] == ids
    assert [d["event_seq"] for d in found] == [seqs[i] for i in ids]
    assert [json.loads(d["body"])["data"]["n"] for d in found] == list(range(20))
