"""Reverse: canonical records back into vendor records for pushes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from hub.errors import MappingError
from tests.mapping.builders import FakeResolver, mapping


@pytest.mark.parametrize(
    ("rule", "canonical", "vendor"),
    [
        pytest.param("FBillNo", "SO1", {"FBillNo": "SO1"}, id="shorthand"),
        pytest.param("{from: FBillNo, pipe: [trim, upper]}", "SO1", {"FBillNo": "SO1"}, id="trim-upper-as-is"),
        pytest.param("{from: FHead.FBillNo}", "SO1", {"FHead": {"FBillNo": "SO1"}}, id="dotted-path-nested"),
        pytest.param("{from: 'FEntity[0].FNo'}", "SO1", {"FEntity": [{"FNo": "SO1"}]}, id="indexed-path"),
        pytest.param("{from: F, pipe: [{prefix: KD-}]}", "KD-1001", {"F": "1001"}, id="prefix-removed"),
        pytest.param("{from: F, pipe: [{replace: ['（', '(']}]}", "华东(上海)", {"F": "华东（上海)"},
                     id="replace-inverted"),
        pytest.param("{from: F, pipe: [{multiply: 100}]}", Decimal("1234"), {"F": Decimal("12.34")},
                     id="multiply-divides"),
        pytest.param("{from: F, pipe: [{divide: 100}]}", Decimal("12.34"), {"F": Decimal("1234")},
                     id="divide-multiplies"),
        pytest.param("{from: F, pipe: [{decimal: 2}]}", Decimal("12.30"), {"F": Decimal("12.30")}, id="decimal"),
        pytest.param("{from: F, pipe: [{split: ','}]}", ["a", "b"], {"F": "a,b"}, id="split-joins"),
        pytest.param("{from: F, pipe: [{join: ';'}]}", "a;b", {"F": ["a", "b"]}, id="join-splits"),
        pytest.param("{from: F, pipe: [phone]}", "+8613812345678", {"F": "13812345678"}, id="phone-to-11-digits"),
        pytest.param("{from: F, pipe: [phone]}", "+862155550000", {"F": "02155550000"}, id="landline-with-zero"),
        pytest.param("{from: F, pipe: [phone]}", "+14155550100", {"F": "+14155550100"}, id="foreign-phone-kept"),
        pytest.param("{from: F, pipe: [{split: ','}, phone]}", ["+8613812345678", "+8613912345678"],
                     {"F": "13812345678,13912345678"}, id="phones-then-join"),
        pytest.param("{from: F, pipe: [date]}", date(2024, 5, 1), {"F": "2024-05-01"}, id="date-iso"),
        pytest.param("{from: F, pipe: [datetime]}", datetime(2024, 5, 1, 2, 20, 30, tzinfo=UTC),
                     {"F": "2024-05-01T02:20:30+00:00"}, id="bare-datetime-iso-text"),
        pytest.param('{from: F, pipe: [{datetime: {format: "%Y-%m-%d %H:%M:%S", tz: Asia/Shanghai}}]}',
                     datetime(2024, 5, 1, 2, 20, 30, tzinfo=UTC), {"F": "2024-05-01 10:20:30"},
                     id="datetime-in-the-mappings-zone-and-format"),
        pytest.param("{from: F, pipe: [{datetime: {tz: Asia/Shanghai}}]}",
                     datetime(2024, 5, 1, 2, 20, 30, tzinfo=UTC), {"F": "2024-05-01T10:20:30+08:00"},
                     id="datetime-iso-in-the-mappings-zone"),
        pytest.param("{from: F, pipe: [{timestamp: ms}]}", datetime(2024, 5, 1, 2, 20, 30, 123000, tzinfo=UTC),
                     {"F": 1714530030123}, id="timestamp-ms"),
        pytest.param("{from: F, pipe: [{timestamp: s}]}", datetime(2024, 5, 1, 2, 20, 30, tzinfo=UTC),
                     {"F": 1714530030}, id="timestamp-s"),
        pytest.param("{from: F, map: {A: draft, C: confirmed}}", "confirmed", {"F": "C"}, id="one-to-one-map"),
        pytest.param("{from: F, map: {1: draft, 2: confirmed}}", "confirmed", {"F": "2"}, id="map-with-number-keys"),
        pytest.param("{from: F, map: {A: draft, B: draft, C: confirmed}, reverse_map: {draft: A}}", "draft",
                     {"F": "A"}, id="reverse-map"),
        pytest.param("{from: F, map: {A: draft, B: draft, C: confirmed}, reverse_map: {draft: B}}", "confirmed",
                     {"F": "C"}, id="reverse-map-keeps-unambiguous-values"),
        pytest.param("{from: F, pipe: [trim], map: {' c ': confirmed, d: draft}}", "confirmed", {"F": " c "},
                     id="map-then-steps"),
    ],
)
def test_a_reversible_rule_writes_the_vendor_value(rule: str, canonical: Any, vendor: dict[str, Any]) -> None:
    m = mapping(f"note: {rule}", id_path="F")

    assert m.reverse({"note": canonical}) == vendor
    assert m.not_reversed == ()


def test_a_missing_canonical_value_is_not_written() -> None:
    m = mapping("number: FBillNo\nnote: {from: FNote, required: false}")

    assert m.reverse({"number": "SO1"}) == {"FBillNo": "SO1"}


def test_a_canonical_value_missing_from_the_map_is_a_mapping_error() -> None:
    m = mapping("number: FBillNo\nstatus: {from: FDocumentStatus, map: {A: draft, C: confirmed}}")

    with pytest.raises(MappingError) as caught:
        m.reverse({"id": "ord_1", "number": "SO1", "status": "shipped"})

    error = caught.value
    assert (error.record_id, error.field, error.value) == ("ord_1", "status", "shipped")
    assert "'shipped' has no vendor value in the map" in error.reason
    assert "push ord_1" in str(error)


def test_a_canonical_value_a_step_cannot_take_is_a_mapping_error() -> None:
    m = mapping("number: FBillNo\nordered_at: {from: FDate, pipe: [{datetime: {tz: Asia/Shanghai}}]}")

    with pytest.raises(MappingError) as caught:
        m.reverse({"number": "SO1", "ordered_at": "not a time"})

    assert caught.value.field == "ordered_at"
    assert caught.value.record_id == "(new)"


@pytest.mark.parametrize(
    ("rule", "name"),
    [
        pytest.param("currency: {const: CNY}", "currency", id="const"),
        pytest.param("title: {template: '{FBillNo} {FName}'}", "title", id="template"),
        pytest.param("note: {from: [FNote, FRemarks]}", "note", id="first-non-empty"),
        pytest.param(r"note: {from: FNote, pipe: [{regex: '(\d+)'}]}", "note", id="regex"),
        pytest.param("note: {from: FNote, pipe: [{replace: [x, '']}]}", "note", id="replace-with-nothing"),
        pytest.param("status: {from: S, map: {A: draft, B: draft}}", "status", id="many-to-one-map"),
    ],
)
def test_a_rule_that_cannot_be_reversed_is_skipped_and_listed(rule: str, name: str) -> None:
    m = mapping(f"number: FBillNo\n{rule}")

    assert m.not_reversed == (name,)
    assert m.reverse({"number": "SO1", name: "x"}) == {"FBillNo": "SO1"}


# -- lookups ----------------------------------------------------------------------------------

KNOWN = {("kingdee", "customer"): {"C001": "cus_1", "C002": "cus_2"}}


def test_a_lookup_is_reversed_through_the_resolver() -> None:
    m = mapping("number: FBillNo\ncustomer_id: {from: FCustId.FNumber, lookup: {system: kingdee, entity: customer}}")
    resolver = FakeResolver(KNOWN)

    vendor = m.reverse({"number": "SO1", "customer_id": "cus_2"}, resolver)

    assert vendor == {"FBillNo": "SO1", "FCustId": {"FNumber": "C002"}}
    assert resolver.calls == [("to_external", "kingdee", "customer", frozenset({"cus_2"}))]


def test_a_lookup_the_vendor_does_not_know_yet_is_a_mapping_error_naming_the_vendor_field() -> None:
    m = mapping("number: FBillNo\ncustomer_id: {from: FCustId.FNumber, lookup: {system: kingdee, entity: customer}}")

    with pytest.raises(MappingError) as caught:
        m.reverse({"id": "ord_1", "number": "SO1", "customer_id": "cus_9"}, FakeResolver(KNOWN))

    assert (caught.value.record_id, caught.value.field) == ("ord_1", "FCustId.FNumber")
    assert "customer cus_9 has no id in kingdee yet (push it first)" in caught.value.reason


def test_a_lookup_with_a_pipe_undoes_the_pipe_on_the_vendor_id() -> None:
    m = mapping("number: FBillNo\ncustomer_id: {from: FCust, pipe: [trim, {prefix: KD-}], "
                "lookup: {system: kingdee, entity: customer}}")
    resolver = FakeResolver({("kingdee", "customer"): {"KD-C001": "cus_1"}})

    assert m.apply({"FBillNo": "SO1", "FCust": " C001 "}, resolver)["customer_id"] == "cus_1"
    assert m.reverse({"number": "SO1", "customer_id": "cus_1"}, resolver) == {"FBillNo": "SO1", "FCust": "C001"}


def test_a_lookup_with_a_map_inverts_the_map_on_the_vendor_id() -> None:
    m = mapping("number: FBillNo\ncustomer_id: {from: FCust, map: {walk-in: C000, vip: C001}, "
                "lookup: {system: kingdee, entity: customer}}")
    resolver = FakeResolver({("kingdee", "customer"): {"C001": "cus_1", "C002": "cus_2"}})

    assert m.reverse({"number": "SO1", "customer_id": "cus_1"}, resolver)["FCust"] == "vip"
    with pytest.raises(MappingError) as caught:
        m.reverse({"number": "SO1", "customer_id": "cus_2"}, resolver)
    assert "'C002' has no vendor value in the map" in caught.value.reason


# -- each -------------------------------------------------------------------------------------

LINES = """\
number: FBillNo
lines:
  each: FSaleOrderEntry
  fields:
    sku: FMaterialId.FNumber
    name: {template: '{FMaterialName}'}
    qty: {from: FQty, pipe: [{decimal: 2}]}
    unit_price: {from: FTaxPrice, pipe: [{multiply: 100}]}
"""


def test_each_lists_are_reversed_item_by_item() -> None:
    m = mapping(LINES)

    vendor = m.reverse({"number": "SO1", "lines": [
        {"sku": "M1", "name": "螺丝", "qty": Decimal("2.00"), "unit_price": Decimal("150")},
        {"sku": "M2", "qty": Decimal("1.50"), "unit_price": None},
    ]})

    assert vendor == {"FBillNo": "SO1", "FSaleOrderEntry": [
        {"FMaterialId": {"FNumber": "M1"}, "FQty": Decimal("2.00"), "FTaxPrice": Decimal("1.5")},
        {"FMaterialId": {"FNumber": "M2"}, "FQty": Decimal("1.50")},
    ]}


def test_sub_fields_that_cannot_be_reversed_are_listed_under_their_list() -> None:
    assert mapping(LINES).not_reversed == ("lines[].name",)


def test_an_error_in_a_reversed_list_names_the_item() -> None:
    m = mapping(LINES)

    with pytest.raises(MappingError) as caught:
        m.reverse({"number": "SO1", "lines": [{"sku": "M1", "qty": 1}, {"sku": "M2", "unit_price": "abc"}]})

    assert caught.value.field == "lines[1].unit_price"


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        pytest.param("M1", "lines", id="text-instead-of-list"),
        pytest.param(["M1"], "lines[0]", id="text-instead-of-sub-record"),
    ],
)
def test_a_reversed_list_of_the_wrong_shape_is_a_mapping_error(lines: Any, field: str) -> None:
    m = mapping(LINES)

    with pytest.raises(MappingError) as caught:
        m.reverse({"number": "SO1", "lines": lines})

    assert caught.value.field == field


# -- the push section -------------------------------------------------------------------------

PUSH = """\
push:
  object: PRD_MO
  fields:
    FBillType.FNumber: {const: SCDD01_SYS}
    FMaterialId.FNumber: sku
    FQty: {from: qty, pipe: [str]}
    FBillNo: {template: 'MO-{number}'}
    FOwner.FNumber: {from: customer_id, lookup: {system: kingdee, entity: customer}, required: false}
"""
PRODUCTION_ORDER = "number: FBillNo\nsku: FMaterialId.FNumber\nqty: {from: FQty, pipe: [decimal]}\nstatus: {const: x}"


def test_push_fields_add_vendor_fields_as_nested_dicts() -> None:
    m = mapping(PRODUCTION_ORDER, entity="production_order", extra=PUSH)

    vendor = m.reverse({"number": "1", "sku": "M1", "qty": Decimal("5"), "status": "planned"})

    assert vendor == {
        "FBillNo": "MO-1",
        "FBillType": {"FNumber": "SCDD01_SYS"},
        "FMaterialId": {"FNumber": "M1"},
        "FQty": "5",
    }


def test_push_fields_override_the_reversed_ones() -> None:
    m = mapping(PRODUCTION_ORDER, entity="production_order", extra=PUSH)

    vendor = m.reverse({"number": "1", "sku": "M1", "qty": Decimal("5")})

    assert vendor["FBillNo"] == "MO-1"
    assert vendor["FQty"] == "5"


def test_push_fields_with_a_lookup_resolve_to_the_vendor_id() -> None:
    m = mapping(PRODUCTION_ORDER, entity="production_order", extra=PUSH)

    vendor = m.reverse({"number": "1", "sku": "M1", "qty": 5, "customer_id": "cus_1"}, FakeResolver(KNOWN))

    assert vendor["FOwner"] == {"FNumber": "C001"}


def test_an_optional_push_field_without_a_value_is_not_written() -> None:
    m = mapping(PRODUCTION_ORDER, entity="production_order", extra=PUSH)

    vendor = m.reverse({"number": "1", "sku": "M1", "qty": 5})

    assert "FOwner" not in vendor


def test_a_push_field_default_is_written() -> None:
    push = "push:\n  fields:\n    FNote: {from: note, default: ''}"
    m = mapping(PRODUCTION_ORDER, entity="production_order", extra=push)

    assert m.reverse({"number": "1"})["FNote"] == ""


def test_a_required_push_field_without_a_value_is_a_mapping_error() -> None:
    m = mapping(PRODUCTION_ORDER, entity="production_order", extra=PUSH)

    with pytest.raises(MappingError) as caught:
        m.reverse({"number": "1", "qty": 5})

    assert caught.value.field == "FMaterialId.FNumber"
    assert "no value at sku" in caught.value.reason


def test_non_reversible_fields_are_still_listed_when_push_covers_them() -> None:
    m = mapping(PRODUCTION_ORDER, entity="production_order", extra=PUSH)

    assert m.not_reversed == ("status",)


def test_push_each_writes_sub_records_with_nested_vendor_paths() -> None:
    push = """\
push:
  fields:
    FSaleOrderEntry:
      each: lines
      fields:
        FMaterialId.FNumber: sku
        FQty: {from: qty, pipe: [str]}
"""
    m = mapping("number: FBillNo", extra=push)

    vendor = m.reverse({"number": "SO1", "lines": [{"sku": "M1", "qty": Decimal("2")}, {"sku": "M2", "qty": 1}]})

    assert vendor["FSaleOrderEntry"] == [
        {"FMaterialId": {"FNumber": "M1"}, "FQty": "2"},
        {"FMaterialId": {"FNumber": "M2"}, "FQty": "1"},
    ]


def test_push_each_errors_name_the_vendor_item() -> None:
    push = "push:\n  fields:\n    FSaleOrderEntry:\n      each: lines\n      fields: {FQty: qty}"
    m = mapping("number: FBillNo", extra=push)

    with pytest.raises(MappingError) as caught:
        m.reverse({"number": "SO1", "lines": [{"qty": 1}, {"sku": "M2"}]})

    assert caught.value.field == "FSaleOrderEntry[1].FQty"


def test_a_canonical_iso_time_is_rendered_back_in_the_vendors_format_and_zone() -> None:
    from hub.mapping import load_mapping

    mapping = load_mapping(
        {
            "version": 1, "name": "t", "system": "kingdee", "object": "SAL_SaleOrder", "entity": "order",
            "id": "FBillNo",
            "fields": {
                "number": "FBillNo",
                "ordered_at": {"from": "FDate", "pipe": [{"datetime": {"format": "%Y-%m-%d %H:%M:%S",
                                                                       "tz": "Asia/Shanghai"}}]},
            },
        }
    )

    vendor = mapping.reverse({"number": "SO1", "ordered_at": "2024-05-03T02:00:00Z"})

    assert vendor == {"FBillNo": "SO1", "FDate": "2024-05-03 10:00:00"}


def test_a_push_field_inside_a_list_item_adds_to_the_reversed_item() -> None:
    from hub.mapping import load_mapping

    mapping = load_mapping(
        {
            "version": 1, "name": "t", "system": "kingdee", "object": "PRD_MO", "entity": "production_order",
            "id": "FBillNo",
            "fields": {"number": "FBillNo", "sku": "FTreeEntity[0].FMaterialId.FNumber"},
            "push": {"fields": {"FTreeEntity[0].FStatus": {"const": "1"}}},
        }
    )

    vendor = mapping.reverse({"number": "MO1", "sku": "M-1"})

    assert vendor == {"FBillNo": "MO1", "FTreeEntity": [{"FMaterialId": {"FNumber": "M-1"}, "FStatus": "1"}]}
