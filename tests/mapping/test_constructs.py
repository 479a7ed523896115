"""The field constructs: from, first non-empty, const, template, map, default/required, each, lookup, id, cursor."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from hub.errors import MappingError
from hub.mapping import Mapping
from tests.mapping.builders import FakeResolver, mapping


def apply(m: Mapping, raw: dict[str, Any], resolver: FakeResolver | None = None) -> dict[str, Any]:
    return m.apply({"FBillNo": "SO1", **raw}, resolver)


def refused(m: Mapping, raw: dict[str, Any]) -> MappingError:
    with pytest.raises(MappingError) as caught:
        apply(m, raw)
    return caught.value


# -- from -------------------------------------------------------------------------------------


def test_shorthand_path_copies_the_value() -> None:
    m = mapping("number: FBillNo")

    assert apply(m, {}) == {"number": "SO1"}


def test_from_copies_the_value() -> None:
    m = mapping("number: {from: FBillNo}")

    assert apply(m, {}) == {"number": "SO1"}


def test_the_output_has_exactly_the_mapped_fields() -> None:
    m = mapping("number: FBillNo\nnote: {from: FNote, required: false}")

    assert apply(m, {"FNote": "n", "FOther": "ignored"}) == {"number": "SO1", "note": "n"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param({"FNote": "n", "FRemarks": "r"}, "n", id="first-has-a-value"),
        pytest.param({"FRemarks": "r"}, "r", id="first-absent"),
        pytest.param({"FNote": None, "FRemarks": "r"}, "r", id="first-null"),
        pytest.param({"FNote": "", "FRemarks": "r"}, "r", id="first-empty-text"),
        pytest.param({"FNote": [], "FRemarks": "r"}, "r", id="first-empty-list"),
        pytest.param({"FNote": "", "FRemarks": None, "FMemo": "m"}, "m", id="third-wins"),
        pytest.param({"FNote": 0, "FRemarks": "r"}, 0, id="zero-is-not-empty"),
        pytest.param({"FNote": "", "FRemarks": ""}, None, id="all-empty-is-missing"),
        pytest.param({"FNote": [], "FRemarks": None, "FMemo": ""}, None, id="all-empty-of-any-kind-is-missing"),
    ],
)
def test_first_non_empty_takes_the_first_path_with_a_value(raw: dict[str, Any], expected: Any) -> None:
    m = mapping("note: {from: [FNote, FRemarks, FMemo], required: false}")

    assert apply(m, raw)["note"] == expected


def test_first_non_empty_with_nothing_falls_back_to_default() -> None:
    m = mapping("note: {from: [FNote, FRemarks], default: 无备注}")

    assert apply(m, {"FNote": "", "FRemarks": []})["note"] == "无备注"


def test_first_non_empty_reads_nested_and_flat_paths() -> None:
    m = mapping("customer_id: {from: [FCustId.FNumber, FCustNo]}")

    assert apply(m, {"FCustId.FNumber": "C1"})["customer_id"] == "C1"
    assert apply(m, {"FCustId": {"FNumber": "C2"}})["customer_id"] == "C2"
    assert apply(m, {"FCustNo": "C3"})["customer_id"] == "C3"


# -- const ------------------------------------------------------------------------------------


def test_const_gives_the_same_value_for_every_record() -> None:
    m = mapping("number: FBillNo\ncurrency: {const: CNY}")

    assert apply(m, {"currency": "USD"})["currency"] == "CNY"


def test_a_list_const_is_not_shared_between_records() -> None:
    m = mapping("name: FName\ntags: {const: [重点客户]}", entity="customer", id_path="FNumber")
    first = m.apply({"FNumber": "1", "FName": "a"})

    first["tags"].append("mutated")
    second = m.apply({"FNumber": "2", "FName": "b"})

    assert second["tags"] == ["重点客户"]


def test_an_object_const_is_not_shared_between_records() -> None:
    m = mapping("number: FBillNo\nattributes: {const: {source: kingdee, flags: [a]}}")
    first = apply(m, {})

    first["attributes"]["flags"].append("mutated")
    first["attributes"]["source"] = "mutated"

    assert apply(m, {})["attributes"] == {"source": "kingdee", "flags": ["a"]}


def test_a_list_default_is_not_shared_between_records() -> None:
    m = mapping("name: FName\ntags: {from: FTags, default: []}", entity="customer", id_path="FNumber")
    first = m.apply({"FNumber": "1", "FName": "a"})

    first["tags"].append("mutated")

    assert m.apply({"FNumber": "2", "FName": "b"})["tags"] == []


# -- template ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param({"FCustId": {"FName": "华东机械"}}, "SO1 / 华东机械", id="nested-path"),
        pytest.param({"FCustId.FName": "华东机械"}, "SO1 / 华东机械", id="flat-dotted-path"),
        pytest.param({"FCustId": {"FName": 42}}, "SO1 / 42", id="number-as-text"),
        pytest.param({"FCustId": {"FName": ""}}, "SO1 / ", id="empty-text-is-a-value"),
    ],
)
def test_template_fills_its_paths(raw: dict[str, Any], expected: str) -> None:
    m = mapping('title: {template: "{FBillNo} / {FCustId.FName}"}')

    assert apply(m, raw)["title"] == expected


def test_template_writes_literal_braces_doubled() -> None:
    m = mapping('title: {template: "{{{FBillNo}}}"}')

    assert apply(m, {})["title"] == "{SO1}"


def test_template_may_use_a_path_twice() -> None:
    m = mapping('title: {template: "{FBillNo}-{FBillNo}"}')

    assert apply(m, {})["title"] == "SO1-SO1"


def test_template_with_a_missing_part_uses_the_default() -> None:
    m = mapping('title: {template: "{FBillNo} / {FCustId.FName}", default: 未命名}')

    assert apply(m, {})["title"] == "未命名"


def test_template_with_a_missing_part_is_an_error_when_required() -> None:
    m = mapping('title: {template: "{FBillNo} / {FCustId.FName}"}')

    error = refused(m, {})

    assert error.field == "title"
    assert "FCustId.FName" in error.reason


# -- map --------------------------------------------------------------------------------------

STATUS = "status: {from: FDocumentStatus, map: {A: draft, B: draft, C: confirmed}, default: draft}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param({"FDocumentStatus": "C"}, "confirmed", id="in-map"),
        pytest.param({"FDocumentStatus": "B"}, "draft", id="many-to-one"),
        pytest.param({"FDocumentStatus": "Z"}, "draft", id="not-in-map-gives-default"),
        pytest.param({}, "draft", id="missing-gives-default"),
        pytest.param({"FDocumentStatus": "c"}, "draft", id="keys-are-case-sensitive"),
    ],
)
def test_map_with_default_is_total(raw: dict[str, Any], expected: str) -> None:
    assert apply(mapping(STATUS), raw)["status"] == expected


def test_map_without_default_refuses_an_unknown_value_naming_it_and_the_known_keys() -> None:
    m = mapping("status: {from: FDocumentStatus, map: {A: draft, C: confirmed}}")

    error = refused(m, {"FDocumentStatus": "X"})

    assert error.field == "status"
    assert error.value == "X"
    assert "'X' is not in the map" in error.reason
    assert "known: A, C" in error.reason


@pytest.mark.parametrize(
    ("table", "vendor_value"),
    [
        pytest.param("{1: confirmed}", "1", id="int-key-matches-text"),
        pytest.param("{1: confirmed}", 1, id="int-key-matches-int"),
        pytest.param("{1: confirmed}", 1.0, id="int-key-matches-whole-float"),
        pytest.param('{"1": confirmed}', 1, id="text-key-matches-int"),
        pytest.param("{true: confirmed}", True, id="bool-key-matches-bool"),
        pytest.param("{true: confirmed}", "true", id="bool-key-matches-text"),
        pytest.param("{false: confirmed}", False, id="false-key-matches-false"),
        pytest.param("{1.5: confirmed}", 1.5, id="float-key-matches-float"),
    ],
)
def test_map_keys_compare_as_text(table: str, vendor_value: Any) -> None:
    m = mapping(f"status: {{from: S, map: {table}}}")

    assert apply(m, {"S": vendor_value})["status"] == "confirmed"


def test_map_runs_after_the_pipe() -> None:
    m = mapping("status: {from: S, pipe: [trim, upper], map: {C: confirmed}}")

    assert apply(m, {"S": " c "})["status"] == "confirmed"


def test_map_to_null_makes_the_field_missing() -> None:
    m = mapping("status: {from: S, map: {X: null, C: confirmed}, default: draft}")

    assert apply(m, {"S": "X"})["status"] == "draft"


# -- required and default ---------------------------------------------------------------------


def test_required_false_gives_none_for_a_missing_value() -> None:
    m = mapping("number: FBillNo\nnote: {from: FNote, required: false}")

    out = apply(m, {})

    assert "note" in out
    assert out["note"] is None


def test_a_missing_required_value_is_an_error_naming_the_path() -> None:
    m = mapping("number: FBillNo\nnote: {from: FNote}")

    error = refused(m, {})

    assert error.field == "note"
    assert error.reason == "no value at FNote and no default (or write required: false)"


def test_default_fills_a_missing_value() -> None:
    m = mapping("note: {from: FNote, default: 无}")

    assert apply(m, {})["note"] == "无"


def test_default_does_not_replace_a_present_value() -> None:
    m = mapping("note: {from: FNote, default: 无}")

    assert apply(m, {"FNote": "有"})["note"] == "有"


def test_default_is_not_run_through_the_pipe() -> None:
    m = mapping("total: {from: FAmount, pipe: [{decimal: 2}], default: 0}")

    assert apply(m, {})["total"] == 0


# -- each -------------------------------------------------------------------------------------

LINES = """\
number: FBillNo
lines:
  each: FSaleOrderEntry
  fields:
    sku: FMaterialId.FNumber
    qty: {from: FQty, pipe: [decimal]}
    unit_price: {from: FTaxPrice, pipe: [{decimal: 4}], required: false}
"""


def test_each_maps_every_item_of_a_list() -> None:
    raw = {"FSaleOrderEntry": [
        {"FMaterialId": {"FNumber": "M1"}, "FQty": "2", "FTaxPrice": 1.23456},
        {"FMaterialId.FNumber": "M2", "FQty": 3},
    ]}

    out = apply(mapping(LINES), raw)

    assert out["lines"] == [
        {"sku": "M1", "qty": Decimal("2"), "unit_price": Decimal("1.2346")},
        {"sku": "M2", "qty": Decimal("3"), "unit_price": None},
    ]


def test_each_over_an_empty_list_gives_an_empty_list() -> None:
    assert apply(mapping(LINES), {"FSaleOrderEntry": []})["lines"] == []


def test_each_error_names_the_item_and_field() -> None:
    raw = {"FSaleOrderEntry": [{"FMaterialId.FNumber": f"M{i}", "FQty": i} for i in range(3)]}
    raw["FSaleOrderEntry"][2]["FQty"] = "two"

    error = refused(mapping(LINES), raw)

    assert error.field == "lines[2].qty"
    assert error.record_id == "SO1"
    assert error.value == "two"


def test_each_names_a_missing_required_sub_field() -> None:
    raw = {"FSaleOrderEntry": [{"FMaterialId.FNumber": "M1", "FQty": 1}, {"FQty": 1}]}

    error = refused(mapping(LINES), raw)

    assert error.field == "lines[1].sku"


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        pytest.param({"FQty": 1}, "each: expected a list at FSaleOrderEntry, got dict", id="object"),
        pytest.param("M1,M2", "each: expected a list at FSaleOrderEntry, got str", id="text"),
    ],
)
def test_each_over_a_non_list_is_an_error(entries: Any, reason: str) -> None:
    error = refused(mapping(LINES), {"FSaleOrderEntry": entries})

    assert error.field == "lines"
    assert error.reason == reason


def test_each_over_a_list_of_non_objects_names_the_item() -> None:
    error = refused(mapping(LINES), {"FSaleOrderEntry": [{"FMaterialId.FNumber": "M1", "FQty": 1}, "M2"]})

    assert error.field == "lines[1]"
    assert error.reason == "expected a sub-record (object), got str"


def test_each_missing_and_required_is_an_error() -> None:
    error = refused(mapping(LINES), {})

    assert error.field == "lines"
    assert "FSaleOrderEntry" in error.reason


def test_each_missing_and_not_required_is_none() -> None:
    m = mapping("number: FBillNo\nlines: {each: FEntity, required: false, fields: {sku: FMaterial}}")

    assert apply(m, {})["lines"] is None


# -- lookup -----------------------------------------------------------------------------------

PROJECT = """\
code: FNumber
customer_id: {from: FCustId.FNumber, lookup: {system: kingdee, entity: customer}}
contract_id: {from: FContract, lookup: {system: kingdee, entity: contract}, required: false}
"""
KNOWN = {
    ("kingdee", "customer"): {"C001": "cus_1", "C002": "cus_2", "1001": "cus_3"},
    ("kingdee", "contract"): {"HT-1": "con_1"},
}


def project_page(size: int) -> list[dict[str, Any]]:
    return [{"FNumber": f"P{i}", "FCustId.FNumber": f"C00{1 + i % 2}", "FContract": "HT-1"} for i in range(size)]


def test_lookup_turns_a_vendor_id_into_the_canonical_id() -> None:
    m = mapping(PROJECT, entity="project", id_path="FNumber")

    out = m.apply(project_page(1)[0], FakeResolver(KNOWN))

    assert out == {"code": "P0", "customer_id": "cus_1", "contract_id": "con_1"}


def test_lookups_for_a_page_take_one_resolver_call_per_system_and_entity() -> None:
    m = mapping(PROJECT, entity="project", id_path="FNumber")
    resolver = FakeResolver(KNOWN)

    results = m.apply_many(project_page(50), resolver)

    assert all(r.ok for r in results)
    assert sorted(resolver.calls) == [
        ("to_canonical", "kingdee", "contract", frozenset({"HT-1"})),
        ("to_canonical", "kingdee", "customer", frozenset({"C001", "C002"})),
    ]


def test_an_unknown_lookup_target_fails_only_that_record() -> None:
    m = mapping(PROJECT, entity="project", id_path="FNumber")
    page = project_page(3)
    page[1]["FCustId.FNumber"] = "C999"

    results = m.apply_many(page, FakeResolver(KNOWN))

    assert [r.ok for r in results] == [True, False, True]
    error = results[1].error
    assert error is not None
    assert (error.record_id, error.field, error.value) == ("P1", "customer_id", "C999")
    assert "no customer with kingdee id 'C999' in the hub" in error.reason


def test_a_missing_optional_lookup_is_not_looked_up() -> None:
    m = mapping(PROJECT, entity="project", id_path="FNumber")
    resolver = FakeResolver(KNOWN)

    out = m.apply({"FNumber": "P1", "FCustId.FNumber": "C001"}, resolver)

    assert out["contract_id"] is None
    assert [call[2] for call in resolver.calls] == ["customer"]


@pytest.mark.parametrize(("vendor_id"), [pytest.param(1001, id="int"), pytest.param(1001.0, id="whole-float")])
def test_a_numeric_lookup_value_is_looked_up_as_text(vendor_id: Any) -> None:
    m = mapping(PROJECT, entity="project", id_path="FNumber")
    resolver = FakeResolver(KNOWN)

    out = m.apply({"FNumber": "P1", "FCustId": {"FNumber": vendor_id}}, resolver)

    assert out["customer_id"] == "cus_3"
    assert resolver.calls[0][3] == frozenset({"1001"})


def test_lookups_inside_each_are_resolved_with_the_page() -> None:
    m = mapping(
        "number: FBillNo\nlines:\n  each: FEntity\n  fields:\n"
        "    sku: {from: FMaterial, lookup: {system: kingdee, entity: customer}}"
    )
    resolver = FakeResolver(KNOWN)

    results = m.apply_many([{"FBillNo": "SO1", "FEntity": [{"FMaterial": "C001"}, {"FMaterial": "C404"}]}], resolver)

    error = results[0].error
    assert error is not None
    assert error.field == "lines[1].sku"
    assert len(resolver.calls) == 1


def test_without_a_resolver_lookups_are_an_error_asking_for_one() -> None:
    m = mapping(PROJECT, entity="project", id_path="FNumber")

    with pytest.raises(MappingError, match="pass a resolver"):
        m.apply(project_page(1)[0])


def test_resolve_false_leaves_a_marker_naming_the_lookup() -> None:
    m = mapping(PROJECT, entity="project", id_path="FNumber")

    [result] = m.apply_many(project_page(1), resolve=False)

    assert result.fields is not None
    assert result.fields["customer_id"] == {
        "$lookup": {"system": "kingdee", "entity": "customer", "value": "C001", "direction": "to_canonical"}
    }


# -- id and cursor ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor_id", "expected"),
    [
        pytest.param("SO-1", "SO-1", id="text"),
        pytest.param(1001, "1001", id="int"),
        pytest.param(1001.0, "1001", id="whole-float-loses-point-zero"),
        pytest.param(0, "0", id="zero"),
    ],
)
def test_the_record_id_is_text(vendor_id: Any, expected: str) -> None:
    m = mapping("number: {from: FBillNo, pipe: [str]}")

    assert m.record_id({"FBillNo": vendor_id}) == expected


def test_the_record_id_is_read_at_a_nested_path() -> None:
    m = mapping("number: FNumber", id_path="FHead.FID")

    [result] = m.apply_many([{"FHead": {"FID": 100001}, "FNumber": "SO1"}])

    assert result.external_id == "100001"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param({}, id="absent"),
        pytest.param({"FBillNo": None}, id="null"),
        pytest.param({"FBillNo": ""}, id="empty-text"),
        pytest.param({"FBillNo": {"FNumber": "SO1"}}, id="an-object"),
        pytest.param({"FBillNo": ["SO1"]}, id="a-list"),
    ],
)
def test_a_record_without_a_usable_id_is_an_error(raw: dict[str, Any]) -> None:
    m = mapping("number: {from: FNumber, required: false}")

    with pytest.raises(MappingError) as caught:
        m.apply(raw)

    assert caught.value.field == "id"
    assert "FBillNo" in str(caught.value.reason)


def test_a_record_that_is_not_an_object_is_an_error() -> None:
    m = mapping("number: FBillNo")

    [result] = m.apply_many(["SO1"])

    assert result.error is not None
    assert result.error.field == "id"


def test_apply_many_maps_each_record_on_its_own() -> None:
    m = mapping("number: FBillNo\ntotal: {from: FAmount, pipe: [decimal]}")

    results = m.apply_many([{"FBillNo": "1", "FAmount": "1"}, {"FAmount": "2"}, {"FBillNo": "3", "FAmount": "x"},
                            {"FBillNo": "4", "FAmount": "4"}])

    assert [(r.index, r.external_id, r.ok) for r in results] == [
        (0, "1", True), (1, None, False), (2, "3", False), (3, "4", True)
    ]
    assert results[3].fields == {"number": "4", "total": Decimal("4")}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param({"FModifyDate": "2024-05-01T10:20:30.123"}, "2024-05-01T10:20:30.123", id="present"),
        pytest.param({}, None, id="absent"),
    ],
)
def test_cursor_reads_the_change_marker(raw: dict[str, Any], expected: Any) -> None:
    m = mapping("number: FBillNo", extra="cursor: FModifyDate")

    assert m.cursor({"FBillNo": "SO1", **raw}) == expected


def test_cursor_reads_a_nested_path() -> None:
    m = mapping("number: FBillNo", extra="cursor: FHead.FModifyDate")

    assert m.cursor({"FHead": {"FModifyDate": "2024-05-01"}}) == "2024-05-01"


def test_cursor_is_none_without_a_cursor_path() -> None:
    m = mapping("number: FBillNo")

    assert m.cursor({"FBillNo": "SO1", "FModifyDate": "2024-05-01"}) is None
