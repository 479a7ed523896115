"""Events: written with the change in one transaction, typed, ordered, and pollable."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from hub.events.outbox import list_events
from hub.events.tables import Event
from hub.store import SourceRecord, list_records, upsert_records
from tests.store.helpers import count, events, kingdee_customer, upsert


def order(number: str, **fields: object) -> SourceRecord:
    return SourceRecord("kingdee", "SAL_SaleOrder", number, {"number": number, **fields})


def test_an_order_created_confirmed_fires_created_then_confirmed(engine: Engine) -> None:
    [result] = upsert(engine, "order", order("SO-1", status="confirmed", payment_status="unpaid"))

    assert result.events == ["order.created", "order.confirmed"]
    assert [e["type"] for e in events(engine)] == ["order.created", "order.confirmed"]


def test_a_transition_fires_once_when_the_field_becomes_the_value(engine: Engine) -> None:
    upsert(engine, "order", order("SO-1", status="draft"))
    [confirmed] = upsert(engine, "order", order("SO-1", status="confirmed"))
    [unrelated] = upsert(engine, "order", order("SO-1", status="confirmed", note="加急"))
    [paid] = upsert(engine, "order", order("SO-1", status="confirmed", note="加急", payment_status="paid",
                                           paid_amount="100.00"))

    assert confirmed.events == ["order.updated", "order.confirmed"]
    assert unrelated.events == ["order.updated"]
    assert paid.events == ["order.updated", "order.paid"]


@pytest.mark.parametrize(
    ("entity", "fields", "expected"),
    [
        ("contract", {"number": "HT-1", "status": "signed"}, "contract.signed"),
        ("ticket", {"subject": "坏了", "status": "resolved"}, "ticket.resolved"),
        ("project", {"code": "P-1", "name": "华东二期"}, "project.created"),
        ("production_order", {"number": "MO-1", "sku": "M-1", "qty": "5"}, "production_order.created"),
    ],
    ids=["contract-signed", "ticket-resolved", "project-created", "production-order-created"],
)
def test_design_event_types_fire(engine: Engine, entity: str, fields: dict[str, object], expected: str) -> None:
    [result] = upsert(engine, entity, SourceRecord("hub", entity, "1", fields))

    assert expected in result.events


def _upsert_then_crash_before_commit(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_records(conn, "customer", [kingdee_customer("C001")])
        raise RuntimeError("crash after the upsert, before commit")


def test_a_failed_transaction_leaves_neither_record_nor_event(engine: Engine) -> None:
    with pytest.raises(RuntimeError, match="crash after the upsert"):
        _upsert_then_crash_before_commit(engine)

    assert count(engine, Event) == 0
    with engine.connect() as conn:
        assert list_records(conn, "customer").items == []


def test_sequence_numbers_strictly_increase_in_write_order(engine: Engine) -> None:
    for i in range(5):
        upsert(engine, "customer", kingdee_customer(f"C{i}"), kingdee_customer(f"D{i}"))

    seqs = [e["seq"] for e in events(engine)]

    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs) == 10


def test_polling_after_a_sequence_number_with_a_type_wildcard(engine: Engine) -> None:
    upsert(engine, "customer", kingdee_customer("C001"))
    upsert(engine, "order", order("SO-1", status="confirmed"))
    upsert(engine, "order", order("SO-2"))

    with engine.connect() as conn:
        first_page = list_events(conn, types=["order.*"], limit=2)
        rest = list_events(conn, types=["order.*"], after=first_page[-1]["seq"])
        confirmed = list_events(conn, types=["order.confirmed"])

    assert [e["type"] for e in first_page] == ["order.created", "order.confirmed"]
    assert [e["type"] for e in rest] == ["order.created"]
    assert rest[0]["data"]["number"] == "SO-2"
    assert [e["data"]["number"] for e in confirmed] == ["SO-1"]


def test_event_payload_is_the_webhook_body_shape(engine: Engine) -> None:
    upsert(engine, "order", order("SO-1", total="99.90", ordered_at="2024-05-01T10:00:00+08:00"))

    [event] = events(engine)

    assert set(event) >= {"seq", "id", "type", "timestamp", "data"}
    assert event["id"].startswith("evt_")
    assert event["timestamp"].endswith("Z")
    assert event["data"]["total"] == "99.90"
    assert event["data"]["refs"] == [{"system": "kingdee", "object": "SAL_SaleOrder", "external_id": "SO-1"}]
