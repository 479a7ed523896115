"""The one upsert path: create, idempotent repeat, change detection, versions, bad records."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from hub.events.tables import Event
from hub.store import SourceRecord, get_record
from hub.store.records import record_versions
from hub.store.tables import RecordVersion
from tests.store.helpers import count, events, kingdee_customer, upsert


def sales_order(number: str = "SO-1", **fields: object) -> SourceRecord:
    base: dict[str, object] = {
        "number": number,
        "status": "draft",
        "currency": "CNY",
        "total": "1200.50",
        "ordered_at": "2024-05-01T10:20:30+08:00",
        "lines": [{"sku": "M-1", "name": "轴承", "qty": "2", "unit_price": "600.25", "amount": "1200.50"}],
    }
    base.update(fields)
    return SourceRecord("kingdee", "SAL_SaleOrder", number, base, raw={"FBillNo": number})


def test_first_upsert_creates_version_one_with_refs_and_raw(engine: Engine) -> None:
    [result] = upsert(engine, "customer", kingdee_customer("C001", name="华东机械", tax_id="91310000MA1FL0001X"))

    assert result.action == "created"
    assert result.version == 1
    assert result.events == ["customer.created"]
    with engine.connect() as conn:
        record = get_record(conn, "customer", result.record_id or "", with_raw=True)
    assert record["name"] == "华东机械"
    assert record["version"] == 1
    assert record["refs"][0]["system"] == "kingdee"
    assert record["refs"][0]["external_id"] == "C001"
    assert record["refs"][0]["raw"]["FNumber"] == "C001"


def test_same_content_again_makes_no_version_and_no_event(engine: Engine) -> None:
    upsert(engine, "customer", kingdee_customer("C001", name="华东机械"))
    before_events, before_versions = count(engine, Event), count(engine, RecordVersion)

    [result] = upsert(engine, "customer", kingdee_customer("C001", name="华东机械"))

    assert result.action == "unchanged"
    assert result.version == 1
    assert result.events == []
    assert count(engine, Event) == before_events
    assert count(engine, RecordVersion) == before_versions


def test_changed_field_bumps_version_and_reports_previous_value(engine: Engine) -> None:
    upsert(engine, "customer", kingdee_customer("C001", name="华东机械", address="上海"))

    [result] = upsert(engine, "customer", kingdee_customer("C001", name="华东机械", address="苏州"))

    assert result.action == "updated"
    assert result.version == 2
    assert result.changes == {"address": {"old": "上海", "new": "苏州"}}
    [event] = events(engine, "customer.updated")
    assert event["changes"] == {"address": {"old": "上海", "new": "苏州"}}
    assert event["data"]["address"] == "苏州"
    assert event["data"]["version"] == 2


def test_every_version_is_kept_with_its_changes(engine: Engine) -> None:
    [first] = upsert(engine, "customer", kingdee_customer("C001", address="上海"))
    upsert(engine, "customer", kingdee_customer("C001", address="苏州"))
    upsert(engine, "customer", kingdee_customer("C001", address="杭州"))

    with engine.connect() as conn:
        history = record_versions(conn, "customer", first.record_id or "")

    assert [v["version"] for v in history] == [1, 2, 3]
    assert [v["data"]["address"] for v in history] == ["上海", "苏州", "杭州"]
    assert history[2]["changes"] == {"address": {"old": "苏州", "new": "杭州"}}


def test_new_raw_with_same_fields_is_kept_without_a_new_version(engine: Engine) -> None:
    record = kingdee_customer("C001", name="华东机械")
    upsert(engine, "customer", record)
    newer_raw = SourceRecord(record.system, record.object, record.external_id, record.fields,
                             raw={"FNumber": "C001", "FModifyDate": "2024-06-01"})

    [result] = upsert(engine, "customer", newer_raw)

    assert result.action == "unchanged"
    with engine.connect() as conn:
        stored = get_record(conn, "customer", result.record_id or "", with_raw=True)
    assert stored["refs"][0]["raw"]["FModifyDate"] == "2024-06-01"
    assert stored["version"] == 1


def test_money_stays_exact_decimal_through_the_database(engine: Engine) -> None:
    [result] = upsert(engine, "order", sales_order(total="1200.50", paid_amount=Decimal("0.10")))

    with engine.connect() as conn:
        order = get_record(conn, "order", result.record_id or "")
    assert order["total"] == "1200.50"
    assert order["paid_amount"] == "0.10"
    assert order["lines"][0]["unit_price"] == "600.25"
    # A second identical upsert must not see a change caused by the round trip.
    [again] = upsert(engine, "order", sales_order(total="1200.50", paid_amount=Decimal("0.10")))
    assert again.action == "unchanged"


def test_times_are_stored_aware_and_returned_in_utc(engine: Engine) -> None:
    [result] = upsert(engine, "order", sales_order(ordered_at=datetime(2024, 5, 1, 18, 0, tzinfo=UTC)))
    with engine.connect() as conn:
        order = get_record(conn, "order", result.record_id or "")
    assert order["ordered_at"] == "2024-05-01T18:00:00Z"

    [shanghai] = upsert(engine, "order", sales_order("SO-2", ordered_at="2024-05-01T10:20:30+08:00"))
    with engine.connect() as conn:
        order = get_record(conn, "order", shanghai.record_id or "")
    assert order["ordered_at"] == "2024-05-01T02:20:30Z"


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"total": 12.5}, "total", "not float"),
        ({"ordered_at": "2024-05-01T10:20:30"}, "ordered_at", "timezone"),
        ({"status": "shipped-ish"}, "status", "Input should be"),
        ({"colour": "red"}, "colour", "Extra inputs"),
        ({"lines": [{"sku": "M-1", "qty": "two"}]}, "lines.0.qty", "not a decimal"),
    ],
    ids=["float-money", "naive-datetime", "unknown-status", "unknown-field", "bad-line-qty"],
)
def test_bad_record_is_rejected_with_field_and_reason_and_the_rest_is_written(
    engine: Engine, fields: dict[str, object], field: str, reason: str
) -> None:
    bad = SourceRecord("kingdee", "SAL_SaleOrder", "SO-BAD", {"number": "SO-BAD", **fields})

    results = upsert(engine, "order", bad, sales_order("SO-GOOD"))

    assert results[0].action == "rejected"
    assert results[0].error is not None
    problems = results[0].error.details["problems"]
    assert any(p["field"] == field and reason in p["reason"] for p in problems), problems
    assert "kingdee/SAL_SaleOrder/SO-BAD" in results[0].error.message
    assert results[1].action == "created"


def test_a_batch_with_the_same_source_record_twice_keeps_the_last(engine: Engine) -> None:
    results = upsert(engine, "customer", kingdee_customer("C001", address="上海"),
                     kingdee_customer("C001", address="苏州"))

    assert results[0].record_id == results[1].record_id
    with engine.connect() as conn:
        record = get_record(conn, "customer", results[0].record_id or "")
    assert record["address"] == "苏州"
    assert record["version"] == 1


def test_large_batch_creates_every_record_once(engine: Engine) -> None:
    batch = [kingdee_customer(f"C{i:04d}", phones=[f"1380000{i:04d}"]) for i in range(1200)]

    results = upsert(engine, "customer", *batch)

    assert {r.action for r in results} == {"created"}
    assert len({r.record_id for r in results}) == 1200
    assert count(engine, Event) == 1200


def test_a_source_describing_part_of_a_record_attaches_to_it_and_survivorship_merges(engine: Engine) -> None:
    [order] = upsert(engine, "order", sales_order("SO-1", payment_status="unpaid"))
    receipts = SourceRecord(
        "kingdee", "AR_RECEIVEBILL", "SO-1", {"payment_status": "paid", "paid_amount": "1200.50"},
        attach_to=order.record_id,
    )

    [paid] = upsert(engine, "order", receipts)

    assert paid.record_id == order.record_id
    assert paid.events == ["order.updated", "order.paid"]
    with engine.connect() as conn:
        record = get_record(conn, "order", order.record_id or "")
    assert record["total"] == "1200.50"  # still from the order itself
    assert record["paid_amount"] == "1200.50"
    assert {r["object"] for r in record["refs"]} == {"SAL_SaleOrder", "AR_RECEIVEBILL"}
