"""Loading and checking a mapping file: every problem reported at once, each with file, line and a hint."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hub.errors import ConfigError
from hub.mapping import MappingSpec, load_mapping, read_spec
from tests.mapping.builders import config_error, line_of, load_problems, mapping_yaml, problem_with

ORDER = """\
version: 1
name: kingdee-sales-order
system: kingdee
object: SAL_SaleOrder
entity: order
id: FBillNo
cursor: FModifyDate
fields:
  number: FBillNo
  status:
    from: FDocumentStatus
    map: {A: draft, B: draft, C: confirmed}
    default: draft
  currency: {const: CNY}
  total: {from: FBillAllAmount, pipe: [{decimal: 2}]}
"""
RAW = {"FBillNo": "SO1", "FDocumentStatus": "C", "FBillAllAmount": "12.345"}
EXPECTED = {"number": "SO1", "status": "confirmed", "currency": "CNY", "total": Decimal("12.35")}


# -- where a mapping comes from ---------------------------------------------------------------


def test_load_mapping_reads_yaml_text() -> None:
    assert load_mapping(ORDER).apply(RAW) == EXPECTED


def test_load_mapping_reads_a_path(tmp_path: Path) -> None:
    path = tmp_path / "order.yaml"
    path.write_text(ORDER, encoding="utf-8")

    m = load_mapping(path)

    assert m.apply(RAW) == EXPECTED
    assert m.spec.source_name == str(path)


def test_load_mapping_reads_a_path_given_as_text(tmp_path: Path) -> None:
    path = tmp_path / "order.yml"
    path.write_text(ORDER, encoding="utf-8")

    assert load_mapping(str(path)).apply(RAW) == EXPECTED


def test_load_mapping_reads_a_dict() -> None:
    import yaml

    data: dict[str, Any] = yaml.safe_load(ORDER)

    assert load_mapping(data).apply(RAW) == EXPECTED


def test_a_file_with_a_bom_loads(tmp_path: Path) -> None:
    path = tmp_path / "order.yaml"
    path.write_bytes("\ufeff".encode() + ORDER.encode())

    assert load_mapping(path).name == "kingdee-sales-order"


def test_a_missing_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"

    error = config_error(str(path), source_name=None)

    assert str(path) in error.message
    assert "file not found" in error.message


def test_the_loaded_mapping_exposes_its_spec() -> None:
    m = load_mapping(ORDER, source_name="order.yaml")

    assert (m.name, m.system, m.object, m.entity) == ("kingdee-sales-order", "kingdee", "SAL_SaleOrder", "order")
    assert isinstance(m.spec, MappingSpec)
    assert m.spec.cursor_path is not None
    assert m.spec.cursor_path.text == "FModifyDate"


def test_the_hash_ignores_comments_and_formatting() -> None:
    reformatted = ORDER.replace("{const: CNY}", "\n    const: CNY   # always yuan")
    reformatted = reformatted.replace("version: 1", "# mapping v1\nversion:   1")

    assert load_mapping(reformatted).hash == load_mapping(ORDER).hash


def test_the_hash_changes_with_the_meaning() -> None:
    assert load_mapping(ORDER.replace("CNY", "USD")).hash != load_mapping(ORDER).hash


def test_read_spec_returns_the_problems_instead_of_raising() -> None:
    spec, problems = read_spec(ORDER.replace("entity: order", "entity: ordr"), source_name="x.yaml")

    assert spec is None
    assert [p.line for p in problems] == [5]


# -- unknown names, with "did you mean" -------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "at", "message"),
    [
        pytest.param("cursor: FModifyDate", "cursr: FModifyDate", "cursr:",
                     "unknown key 'cursr' (did you mean 'cursor'?)", id="top-level-key"),
        pytest.param("    default: draft", "    defualt: draft", "defualt:",
                     "unknown key 'defualt' (did you mean 'default'?)", id="rule-key"),
        pytest.param("  number: FBillNo", "  number: {frm: FBillNo}", "frm:",
                     "unknown key 'frm' (did you mean 'from'?)", id="rule-key-frm"),
        pytest.param("{decimal: 2}", "{decmal: 2}", "decmal",
                     "unknown step 'decmal' (did you mean 'decimal'?)", id="step"),
        pytest.param("  total:", "  totl:", "totl:",
                     "unknown canonical field 'totl' (did you mean 'total'?)", id="canonical-field"),
        pytest.param("entity: order", "entity: ordr", "entity:",
                     "unknown entity 'ordr' (did you mean 'order'?)", id="entity"),
    ],
)
def test_an_unknown_name_is_reported_with_file_line_and_suggestion(old: str, new: str, at: str, message: str) -> None:
    text = ORDER.replace(old, new)
    assert text != ORDER

    problem = problem_with(load_problems(text, "orders.yaml"), message)

    assert problem.file == "orders.yaml"
    assert problem.line == line_of(text, at)


def test_an_unknown_lookup_entity_is_reported_with_a_suggestion() -> None:
    text = mapping_yaml("customer_id: {from: FCustId, lookup: {system: kingdee, entity: custmer}}")

    problem = problem_with(load_problems(text), "unknown entity 'custmer' (did you mean 'customer'?)")

    assert problem.line == line_of(text, "custmer")


def test_an_unknown_name_without_a_close_match_lists_the_known_ones() -> None:
    text = mapping_yaml("number: FBillNo\nzzz: FOther")

    problem = problem_with(load_problems(text), "unknown canonical field 'zzz'")

    assert "this entity has: " in problem.message
    assert "number" in problem.message


def test_an_unknown_field_inside_each_is_checked_against_the_sub_record() -> None:
    text = mapping_yaml("lines:\n  each: FEntity\n  fields:\n    skuu: FMaterial")

    problem = problem_with(load_problems(text), "unknown canonical field 'skuu' (did you mean 'sku'?)")

    assert problem.line == line_of(text, "skuu")


# -- every problem at once --------------------------------------------------------------------


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    text = ORDER.replace("cursor:", "cursr:").replace("{decimal: 2}", "{decmal: 2}").replace(
        "currency: {const: CNY}", "currency: {const: CNY, frm: X}")

    error = config_error(text, "orders.yaml")

    assert isinstance(error, ConfigError)
    assert error.message.startswith("3 configuration errors:")
    assert error.details == [
        {"file": "orders.yaml", "line": line_of(text, "cursr"), "path": "cursr",
         "message": "unknown key 'cursr' (did you mean 'cursor'?)"},
        {"file": "orders.yaml", "line": line_of(text, "frm"), "path": "fields.currency.frm",
         "message": "unknown key 'frm' (did you mean 'from'?)"},
        {"file": "orders.yaml", "line": line_of(text, "decmal"), "path": "fields.total.pipe[0]",
         "message": "unknown step 'decmal' (did you mean 'decimal'?)"},
    ]
    for detail in error.details:
        assert f"orders.yaml:{detail['line']}: {detail['path']}: {detail['message']}" in error.message


def test_a_duplicate_key_is_reported_with_the_other_problems() -> None:
    text = ORDER.replace("  currency: {const: CNY}", "  currency: {const: CNY}\n  number: FNumber").replace(
        "entity: order", "entity: ordr")

    problems = load_problems(text)

    duplicate = problem_with(problems, "duplicate key 'number'")
    assert f"lines {line_of(text, 'number: FBillNo')} and {line_of(text, 'number: FNumber')}" in duplicate.message
    problem_with(problems, "unknown entity 'ordr'")


def test_invalid_yaml_is_reported_with_its_line() -> None:
    text = ORDER.replace("  currency: {const: CNY}", "  currency: {const: CNY")

    [detail] = config_error(text).details

    assert detail["message"].startswith("invalid YAML")
    assert detail["line"] is not None


def test_a_file_that_is_not_a_mapping_is_refused() -> None:
    [detail] = config_error("- just\n- a list\n").details

    assert "a mapping file is a YAML mapping" in detail["message"]


# -- the file's shape -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "ok"),
    [
        pytest.param("1", True, id="one"),
        pytest.param("2", False, id="two"),
        pytest.param("'1'", False, id="text-one"),
        pytest.param("true", False, id="boolean"),
        pytest.param("1.1", False, id="decimal"),
    ],
)
def test_only_version_1_is_read(version: str, ok: bool) -> None:
    text = ORDER.replace("version: 1", f"version: {version}")

    spec, problems = read_spec(text)

    assert (spec is not None) is ok
    if not ok:
        problem = problem_with(problems, "unsupported version")
        assert problem.line == 1


@pytest.mark.parametrize("key", ["version", "name", "system", "object", "entity", "id", "fields"])
def test_a_missing_required_top_level_key_is_reported(key: str) -> None:
    if key == "fields":
        text = ORDER.split("fields:")[0]
    else:
        text = "\n".join(line for line in ORDER.splitlines() if not line.startswith(f"{key}:"))

    problem_with(load_problems(text), f"missing required key {key!r}")


def test_name_must_be_text() -> None:
    problem = problem_with(load_problems(ORDER.replace("name: kingdee-sales-order", "name: ''")), "name must be")

    assert problem.line == 2


def test_fields_must_not_be_empty() -> None:
    text = ORDER.split("fields:")[0] + "fields: {}\n"

    problem_with(load_problems(text), "fields is a mapping of canonical field")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        pytest.param("{from: FNote, const: x}", "needs exactly one of from, const, template, each (found from, const)",
                     id="two-sources"),
        pytest.param("{template: '{a}', each: b}", "(found template, each)", id="template-and-each"),
        pytest.param("{pipe: [trim]}", "needs exactly one of from, const, template, each", id="no-source"),
        pytest.param("42", "a field rule is a path", id="not-a-rule"),
        pytest.param("{from: []}", "from: [] needs at least one path", id="empty-first-non-empty"),
        pytest.param("{from: FNote, fields: {a: b}}", "fields: inside a rule goes with each:",
                     id="fields-without-each"),
        pytest.param("{from: FNote, reverse_map: {a: b}}", "reverse_map goes with map", id="reverse-map-without-map"),
        pytest.param("{from: FNote, map: {}}", "map is a non-empty table", id="empty-map"),
        pytest.param("{from: FNote, map: [a, b]}", "map is a non-empty table", id="map-as-list"),
        pytest.param("{from: FNote, required: 'no'}", "required is true or false", id="required-not-boolean"),
        pytest.param("{from: FNote, lookup: {system: kingdee}}", "lookup is {system", id="lookup-without-entity"),
        pytest.param("{template: 42}", "template is text", id="template-not-text"),
        pytest.param("{template: '{FBillNo:>10}'}", "without format specs", id="template-format-spec"),
        pytest.param("{template: '{FBillNo!r}'}", "without format specs", id="template-conversion"),
        pytest.param("{template: '{}'}", "without format specs", id="template-empty-placeholder"),
        pytest.param("{template: 'a } b'}", "cannot read the template", id="template-single-brace"),
    ],
)
def test_a_malformed_rule_is_reported_with_its_line(rule: str, message: str) -> None:
    text = mapping_yaml(f"number: FBillNo\nnote: {rule}")

    problem = problem_with(load_problems(text), message)

    assert problem.line == line_of(text, "note:")


def test_each_without_fields_is_reported() -> None:
    text = mapping_yaml("lines: {each: FEntity}")

    problem_with(load_problems(text), "each: needs fields:")


def test_each_on_a_canonical_field_that_is_not_a_list_of_sub_records_is_reported() -> None:
    text = mapping_yaml("number: {each: FEntity, fields: {sku: FMaterial}}")

    problem = problem_with(load_problems(text), "'number' is not such a list")

    assert problem.line == line_of(text, "number:")


# -- values the canonical field would refuse --------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "at", "message"),
    [
        pytest.param("status:\n  from: S\n  map:\n    A: draft\n    B: draftt", "B: draftt",
                     "'draftt' is not a valid status", id="map-value"),
        pytest.param("status:\n  from: S\n  map:\n    1: draft\n    2: draftt", "2: draftt",
                     "'draftt' is not a valid status", id="map-value-under-a-number-key"),
        pytest.param("status:\n  const: shipped_out", "const: shipped_out", "'shipped_out' is not a valid status",
                     id="const"),
        pytest.param("status:\n  from: S\n  default: nope", "default: nope", "'nope' is not a valid status",
                     id="default"),
        pytest.param("total:\n  const: lots", "const: lots", "'lots' is not a valid total", id="const-not-a-number"),
        pytest.param("status:\n  from: S\n  map: {A: draft, B: draft}\n  reverse_map:\n    draftt: A",
                     "draftt: A", "'draftt' is not a valid status", id="reverse-map-key"),
        pytest.param("lines:\n  each: E\n  fields:\n    qty: {const: many}", "const: many", "'many' is not a valid qty",
                     id="inside-each"),
    ],
)
def test_a_value_the_canonical_field_refuses_is_reported_at_load(rule: str, at: str, message: str) -> None:
    text = mapping_yaml(f"number: FBillNo\n{rule}")

    problem = problem_with(load_problems(text), message)

    assert problem.line == line_of(text, at)


def test_values_the_canonical_field_accepts_load() -> None:
    text = mapping_yaml(
        "number: FBillNo\nstatus: {from: S, map: {1: draft, 2: confirmed}, default: draft}\n"
        "total: {const: '12.50'}\ncurrency: {const: CNY}"
    )

    assert load_mapping(text).entity == "order"


def test_a_lookup_result_is_not_checked_as_a_literal_value() -> None:
    text = mapping_yaml("customer_id: {from: C, map: {a: x}, lookup: {system: kingdee, entity: customer}}")

    assert load_mapping(text).has_lookups


# -- the push section -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("push", "at", "message"),
    [
        pytest.param("push:\n  objet: PRD_MO", "objet", "unknown key 'objet' (did you mean 'object'?)",
                     id="unknown-key"),
        pytest.param("push:\n  fields:\n    'FBill..FNumber': {const: x}", "FBill..FNumber", "cannot read the path",
                     id="bad-vendor-path"),
        pytest.param("push:\n  fields:\n    FQty: {from: qty, pipe: [trm]}", "trm", "unknown step 'trm'",
                     id="bad-step"),
        pytest.param("push: [a]", "push:", "push is a mapping", id="not-a-mapping"),
        pytest.param("push:\n  object: 12", "object: 12", "push.object is the vendor object", id="object-not-text"),
    ],
)
def test_a_malformed_push_section_is_reported_with_its_line(push: str, at: str, message: str) -> None:
    text = mapping_yaml("number: FBillNo", extra=push)

    problem = problem_with(load_problems(text), message)

    assert problem.line == line_of(text, at)


def test_push_object_is_read() -> None:
    m = load_mapping(mapping_yaml("number: FBillNo", extra="push:\n  object: PRD_MO\n  fields: {FQty: qty}"))

    assert m.spec.push_object == "PRD_MO"


def test_a_bad_vendor_path_inside_a_push_each_is_reported() -> None:
    push = "push:\n  fields:\n    FEntity:\n      each: lines\n      fields:\n        'FQty..x': qty"
    text = mapping_yaml("number: FBillNo", extra=push)

    problem = problem_with(load_problems(text), "cannot read the path")

    assert problem.line == line_of(text, "FQty..x")
