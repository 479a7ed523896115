"""Previewing a mapping: one JSON-ready result per record; bad records fail alone."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine

from hub.db.engine import read_only
from hub.errors import InvalidRequestError
from hub.mapping import StoreResolver, load_mapping
from hub.mapping.preview import jsonable, parse_records, preview_records
from hub.store import SourceRecord, upsert_records
from tests.mapping_tools.helpers import ORDER_MAPPING, customer_mapping

PARSED = [
    ("array", '[{"a": 1}, {"a": 2}]', [{"a": 1}, {"a": 2}]),
    ("object", '{"a": 1}', [{"a": 1}]),
    ("json-lines", '{"a": 1}\n\n{"a": 2}\n', [{"a": 1}, {"a": 2}]),
    ("one-json-line", '{"a": 1}\n', [{"a": 1}]),
    ("surrounding-spaces", '  [{"a": 1}]  \n', [{"a": 1}]),
]


@pytest.mark.parametrize(("text", "records"), [p[1:] for p in PARSED], ids=[p[0] for p in PARSED])
def test_records_are_read_from_an_array_an_object_or_json_lines(text: str, records: list[Any]) -> None:
    assert parse_records(text) == records


BAD_INPUT = [
    ("empty", "  \n", "no records"),
    ("not-json", "{oops", "not JSON: Expecting property name"),
    ("bad-second-line", '{"a": 1}\n{"a": \n', "not JSON Lines: line 2"),
]


@pytest.mark.parametrize(("text", "message"), [b[1:] for b in BAD_INPUT], ids=[b[0] for b in BAD_INPUT])
def test_unreadable_input_is_an_invalid_request(text: str, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        parse_records(text)


def test_each_record_gets_its_own_result_and_a_bad_one_fails_alone() -> None:
    mapping = load_mapping(customer_mapping())

    results = preview_records(mapping, [{"FNumber": "C1", "FName": " Acme "}, {"FNumber": 2}, {"FName": "x"}])

    assert results[0] == {"index": 0, "id": "C1", "ok": True, "fields": {"name": "Acme", "tax_id": None}}
    assert results[1]["index"] == 1
    assert results[1]["id"] == "2"
    assert results[1]["ok"] is False
    assert results[1]["error"]["field"] == "name"
    assert results[1]["error"]["reason"].startswith("no value at FName")
    assert "record 2: field name" in results[1]["error"]["message"]
    assert results[2]["ok"] is False
    assert results[2]["id"] is None
    assert results[2]["error"]["field"] == "id"


def test_decimals_and_times_come_out_as_json_text() -> None:
    mapping = load_mapping(ORDER_MAPPING)
    raw = {"FBillNo": "SO1", "FDocumentStatus": "confirmed", "FBillAllAmount": "1234.5", "FDate": "2024-05-01 10:20:30"}

    [result] = preview_records(mapping, [raw])

    assert result["ok"] is True
    assert result["fields"]["total"] == "1234.50"
    assert result["fields"]["ordered_at"] == "2024-05-01T10:20:30+08:00"
    json.dumps(result)  # serialisable as it is


def test_a_value_the_canonical_model_refuses_fails_the_record_as_the_store_would() -> None:
    mapping = load_mapping(ORDER_MAPPING)
    raw = {"FBillNo": "SO1", "FDocumentStatus": "C", "FBillAllAmount": "1", "FDate": "2024-05-01 10:20:30"}

    [result] = preview_records(mapping, [raw])

    assert result["ok"] is False
    assert result["error"]["field"] == "status"
    assert result["error"]["value"] == "C"
    assert result["error"]["reason"].startswith("the canonical model refuses it: Input should be 'draft'")


def test_reverse_gives_the_vendor_record_and_the_fields_not_reversed() -> None:
    mapping = load_mapping(ORDER_MAPPING)

    results = preview_records(mapping, [{"number": "SO1", "total": "12.50", "currency": "CNY"}, "nope"], reverse=True)

    assert results[0] == {"index": 0, "ok": True, "vendor": {"FBillNo": "SO1", "FBillAllAmount": "12.50"},
                          "not_reversed": ["currency"]}
    assert results[1]["ok"] is False
    assert results[1]["error"]["reason"] == "not a JSON object"


def test_without_a_resolver_lookups_are_shown_not_resolved() -> None:
    mapping = load_mapping(customer_mapping(owner_lookup=True))

    [result] = preview_records(mapping, [{"FNumber": "C2", "FName": "Beta", "FOwner": "C1"}])

    assert result["ok"] is True
    assert result["fields"]["owner"] == {
        "$lookup": {"system": "kingdee", "entity": "customer", "value": "C1", "direction": "to_canonical"}
    }


def test_with_a_resolver_lookups_are_resolved_through_the_crosswalk(db_engine: Engine) -> None:
    mapping = load_mapping(customer_mapping(owner_lookup=True))
    with db_engine.begin() as conn:
        [created] = upsert_records(conn, "customer", [SourceRecord("kingdee", "BD_Customer", "C1", {"name": "Acme"})])
    raws = [{"FNumber": "C2", "FName": "Beta", "FOwner": "C1"}, {"FNumber": "C3", "FName": "Gamma", "FOwner": "C9"}]

    with read_only(db_engine) as conn:
        known, unknown = preview_records(mapping, raws, resolver=StoreResolver(conn))

    assert known["ok"] is True
    assert known["fields"]["owner"] == created.record_id
    assert unknown["ok"] is False
    assert unknown["error"]["field"] == "owner"
    assert "no customer with kingdee id 'C9' in the hub" in unknown["error"]["reason"]


def test_jsonable_turns_python_values_into_json_values() -> None:
    from datetime import UTC, date, datetime
    from decimal import Decimal

    value = {"d": Decimal("1.10"), "t": datetime(2024, 5, 1, tzinfo=UTC), "day": date(2024, 5, 1), "s": (1, 2)}

    assert jsonable(value) == {"d": "1.10", "t": "2024-05-01T00:00:00+00:00", "day": "2024-05-01", "s": [1, 2]}
