"""Paths into vendor records: plain keys, dotted nesting, Kingdee's flat dotted columns, list indexes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hub.mapping.paths import PathSyntaxError, getter, parse_path, setter
from tests.mapping.builders import config_error, line_of, mapping, mapping_yaml


def read_compiled(path: str, record: dict[str, Any]) -> Any:
    """The value a mapping's compiled transform reads at ``path``."""
    m = mapping(f"note: {{from: {path!r}, required: false}}", id_path="id")
    return m.apply({"id": "1", **record})["note"]


def read_getter(path: str, record: dict[str, Any]) -> Any:
    """The value the path reader used for ``id:`` and ``cursor:`` gets at ``path``."""
    return getter(parse_path(path))(record)


READERS = [pytest.param(read_compiled, id="compiled"), pytest.param(read_getter, id="getter")]

ENTRIES = [{"FQty": 1, "FMaterialId.FNumber": "M1"}, {"FQty": 2}, {"FQty": 3}]

FOUND = [
    pytest.param("FBillNo", {"FBillNo": "SO1"}, "SO1", id="simple-key"),
    pytest.param("FCustId.FNumber", {"FCustId": {"FNumber": "C001"}}, "C001", id="dotted-nested"),
    pytest.param("FCustId.FNumber", {"FCustId.FNumber": "C001"}, "C001", id="flat-dotted-column"),
    pytest.param("FCustId.FNumber", {"FCustId.FNumber": "flat", "FCustId": {"FNumber": "nested"}}, "flat",
                 id="flat-column-tried-first"),
    pytest.param("a.b.c", {"a": {"b": {"c": "deep"}}}, "deep", id="three-levels-nested"),
    pytest.param("a.b.c", {"a.b.c": "flat"}, "flat", id="three-levels-flat"),
    pytest.param("FHead.FCustId.FNumber", {"FHead": {"FCustId.FNumber": "C002"}}, "C002",
                 id="nested-dict-holding-a-flat-dotted-key"),
    pytest.param("FEntity[0].FQty", {"FEntity": ENTRIES}, 1, id="list-index"),
    pytest.param("FEntity[2].FQty", {"FEntity": ENTRIES}, 3, id="last-list-index"),
    pytest.param("FEntity[-1].FQty", {"FEntity": ENTRIES}, 3, id="negative-index"),
    pytest.param("FEntity[-3].FQty", {"FEntity": ENTRIES}, 1, id="negative-index-to-first"),
    pytest.param("FEntity[0].FMaterialId.FNumber", {"FEntity": ENTRIES}, "M1", id="flat-dotted-key-in-list-item"),
    pytest.param("rows[1][0]", {"rows": [["a", "b"], ["c", "d"]]}, "c", id="index-of-index"),
    pytest.param("FEntity[0]", {"FEntity": ["only"]}, "only", id="path-ending-in-index"),
    pytest.param("名称", {"名称": "华东机械"}, "华东机械", id="chinese-key"),
    pytest.param("FQty", {"FQty": 0}, 0, id="falsy-value-is-a-value"),
]

MISSING = [
    pytest.param("FBillNo", {}, id="key-absent"),
    pytest.param("FBillNo", {"FBillNo": None}, id="key-null"),
    pytest.param("FCustId.FNumber", {}, id="parent-absent"),
    pytest.param("FCustId.FNumber", {"FCustId": None}, id="parent-null"),
    pytest.param("FCustId.FNumber", {"FCustId": "C001"}, id="parent-is-text"),
    pytest.param("FCustId.FNumber", {"FCustId": [{"FNumber": "C001"}]}, id="parent-is-a-list"),
    pytest.param("a.b.c", {"a": {"b": "x"}}, id="deep-parent-is-text"),
    pytest.param("FEntity[3].FQty", {"FEntity": ENTRIES}, id="index-past-the-end"),
    pytest.param("FEntity[-4].FQty", {"FEntity": ENTRIES}, id="negative-index-past-the-start"),
    pytest.param("FEntity[0].FQty", {"FEntity": []}, id="empty-list"),
    pytest.param("FEntity[0].FQty", {"FEntity": {"0": {"FQty": 1}}}, id="index-into-a-dict"),
    pytest.param("FEntity[0].FQty", {"FEntity": "text"}, id="index-into-text"),
    pytest.param("FEntity[0].FUnit", {"FEntity": ENTRIES}, id="key-absent-in-list-item"),
]


@pytest.mark.parametrize("read", READERS)
@pytest.mark.parametrize(("path", "record", "expected"), FOUND)
def test_a_path_reads_the_value_where_it_is(
    read: Callable[[str, dict[str, Any]], Any], path: str, record: dict[str, Any], expected: Any
) -> None:
    assert read(path, record) == expected


@pytest.mark.parametrize("read", READERS)
@pytest.mark.parametrize(("path", "record"), MISSING)
def test_a_path_that_is_not_there_anywhere_reads_as_missing(
    read: Callable[[str, dict[str, Any]], Any], path: str, record: dict[str, Any]
) -> None:
    assert read(path, record) is None


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        pytest.param("FBillNo", ("FBillNo",), id="simple"),
        pytest.param("FCustId.FNumber", ("FCustId", "FNumber"), id="dotted"),
        pytest.param("FEntity[0].FQty", ("FEntity", 0, "FQty"), id="index"),
        pytest.param("FEntity[-1].FQty", ("FEntity", -1, "FQty"), id="negative-index"),
        pytest.param("rows[1][0]", ("rows", 1, 0), id="index-of-index"),
        pytest.param("  FBillNo  ", ("FBillNo",), id="surrounding-spaces-ignored"),
    ],
)
def test_parse_path_splits_keys_and_indexes(text: str, parts: tuple[str | int, ...]) -> None:
    assert parse_path(text).parts == parts


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("a..b", id="double-dot"),
        pytest.param(".a", id="leading-dot"),
        pytest.param("a.", id="trailing-dot"),
        pytest.param("a[x]", id="non-numeric-index"),
        pytest.param("a[0]b", id="key-glued-to-index"),
        pytest.param("a[0", id="unclosed-bracket"),
        pytest.param("a]", id="stray-bracket"),
    ],
)
def test_parse_path_refuses_nonsense(text: str) -> None:
    with pytest.raises(PathSyntaxError):
        parse_path(text)


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        pytest.param("number: {from: 'FEntity[x].FQty'}", "FEntity[x]", id="in-from"),
        pytest.param("number: 'FCustId..FNumber'", "FCustId..FNumber", id="in-shorthand"),
        pytest.param("number: {from: [FBillNo, 'a.']}", "'a.'", id="in-first-non-empty"),
        pytest.param("title: {template: '{FBillNo} {a..b}'}", "{a..b}", id="in-template"),
    ],
)
def test_a_path_syntax_error_is_reported_at_load_with_its_line(fields: str, fragment: str) -> None:
    text = mapping_yaml(f"{fields}\ncurrency: {{const: CNY}}")

    error = config_error(text)

    [detail] = error.details
    assert detail["file"] == "test.yaml"
    assert detail["line"] == line_of(text, fragment)
    assert detail["message"].startswith("cannot read the path")


def test_a_syntax_error_in_the_id_path_is_reported_with_its_line() -> None:
    text = mapping_yaml("number: FBillNo", id_path="'FBillNo['")

    [detail] = config_error(text).details

    assert detail["line"] == line_of(text, "id: ")
    assert detail["path"] == "id"


def test_setter_writes_nested_dicts_and_lists() -> None:
    out: dict[str, Any] = {}

    setter(parse_path("FBillType.FNumber"))(out, "SCDD01_SYS")
    setter(parse_path("FEntity[1].FQty"))(out, 5)

    assert out == {"FBillType": {"FNumber": "SCDD01_SYS"}, "FEntity": [None, {"FQty": 5}]}
