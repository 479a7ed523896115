"""The compiled transform: generated once from the spec, never re-reading it, never executing mapping text."""

from __future__ import annotations

import sys
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from hub.errors import ConfigError
from hub.mapping import Mapping, load_mapping
from hub.mapping.compiler import compile_forward
from tests.mapping.builders import mapping, mapping_yaml

ORDER = """\
number: FBillNo
status: {from: FDocumentStatus, map: {A: draft, C: confirmed}, default: draft}
total: {from: FAmount, pipe: [{decimal: 2}]}
attributes: {const: {source: kingdee, flags: [a]}}
"""
RAW = {"FBillNo": "SO1", "FDocumentStatus": "C", "FAmount": "1.005"}
EXPECTED = {"number": "SO1", "status": "confirmed", "total": Decimal("1.01"),
            "attributes": {"source": "kingdee", "flags": ["a"]}}


def test_the_transform_is_generated_python_source() -> None:
    transform = compile_forward(mapping(ORDER).spec.fields)

    assert transform.__code__.co_filename.startswith("<mapping transform")
    assert transform.__doc__ is not None
    assert transform.__doc__.startswith("def transform(r):")
    assert "r.get('FBillNo')" in transform.__doc__


def test_changing_the_spec_object_after_compiling_does_not_change_results() -> None:
    m = mapping(ORDER)
    status, _total, attributes = m.spec.fields[1], m.spec.fields[2], m.spec.fields[3]

    assert status.map is not None
    status.map["C"] = "cancelled"  # type: ignore[index]
    attributes.const["flags"].append("changed")
    object.__setattr__(m.spec, "fields", (replace(status, default="shipped"),))

    assert m.apply(RAW) == EXPECTED


class _Unreadable:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the spec was read per record ({name})")


def test_applying_never_reads_the_spec() -> None:
    m = mapping(ORDER)
    m.apply(RAW)  # anything lazy happens now

    m.spec = _Unreadable()  # type: ignore[assignment]

    assert [m.apply(RAW) for _ in range(3)] == [EXPECTED] * 3


def test_reversing_never_reads_the_spec() -> None:
    m = mapping(ORDER)
    expected = m.reverse({"number": "SO1", "status": "confirmed", "total": Decimal("1.01")})

    m.spec = _Unreadable()  # type: ignore[assignment]

    assert m.reverse({"number": "SO1", "status": "confirmed", "total": Decimal("1.01")}) == expected


# -- mapping text is data, never code ---------------------------------------------------------

HOSTILE_KEYS = [
    pytest.param("a'b\"c", id="quotes"),
    pytest.param("__import__('this')", id="import-call"),
    pytest.param("__import__('this').x", id="import-call-dotted"),
    pytest.param("x'); __import__('this'); ('", id="statement-injection"),
    pytest.param("a\nimport this\n", id="newlines"),
    pytest.param("\\'; import this #", id="backslash-quote"),
]
HOSTILE = [*HOSTILE_KEYS, pytest.param("{r} {{}}", id="braces")]


@pytest.fixture(autouse=True)
def _nothing_imported() -> Any:
    """The canary: every hostile text tries to import the module ``this``."""
    was_imported = "this" in sys.modules
    yield
    if not was_imported:
        assert "this" not in sys.modules, "mapping text was executed"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@pytest.mark.parametrize("key", HOSTILE)
def test_a_hostile_path_is_read_as_a_key(key: str) -> None:
    m = mapping(f"note: {{from: {_quoted(key)}}}", id_path="id")

    assert m.apply({"id": "1", key.strip(): "value"}) == {"note": "value"}


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_a_hostile_path_in_a_template_is_read_as_a_key(key: str) -> None:
    m = mapping(f"title: {{template: {_quoted('<{' + key.strip() + '}>')}}}", id_path="id")

    assert m.apply({"id": "1", key.strip(): "v"}) == {"title": "<v>"}


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_template_text_is_copied_literally(text: str) -> None:
    literal = text.replace("{", "{{").replace("}", "}}")
    m = mapping(f"title: {{template: {_quoted(literal + '{FBillNo}' + literal)}}}")

    assert m.apply({"FBillNo": "SO1"}) == {"title": f"{text}SO1{text}"}


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_constants_and_map_values_are_returned_as_data(text: str) -> None:
    m = mapping(f"note: {{const: {_quoted(text)}}}\ntitle: {{from: T, map: {{{_quoted(text)}: {_quoted(text)}}}}}")

    assert m.apply({"FBillNo": "SO1", "T": text}) == {"note": text, "title": text}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_canonical_field_name_is_refused_at_load(name: str) -> None:
    with pytest.raises(ConfigError, match="unknown canonical field"):
        load_mapping(mapping_yaml(f"number: FBillNo\n{_quoted(name)}: FX"))


@pytest.mark.parametrize("path", HOSTILE_KEYS)
def test_a_hostile_push_path_is_written_as_a_key(path: str) -> None:
    m: Mapping = mapping("number: FBillNo", extra=f"push:\n  fields:\n    {_quoted(path)}: {{const: 1}}")

    vendor = m.reverse({"number": "SO1"})

    head, _, rest = path.strip().partition(".")  # a dotted vendor path is written nested
    assert vendor == {"FBillNo": "SO1", head: {rest: 1} if rest else 1}
