"""The line-aware YAML reader: positions, ${ENV} interpolation, duplicate keys, errors with file and line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.workspace.yamlfile import Problem, config_error, format_path, is_reference, load_yaml, parse_yaml

DOCUMENT = """\
connectors:
  kingdee-main:
    type: kingdee
    settings:
      base_url: http://127.0.0.1:9101/
    entities:
      customer: {mapping: kingdee-customer}
webhooks:
  retry_schedule:
    - 5
    - 300
"""


def test_line_of_gives_the_line_of_each_key() -> None:
    loaded = load_yaml(DOCUMENT, source_name="hub.yaml")

    assert loaded.line_of(("connectors",)) == 1
    assert loaded.line_of(("connectors", "kingdee-main", "type")) == 3
    assert loaded.line_of(("connectors", "kingdee-main", "settings", "base_url")) == 5
    assert loaded.line_of(("connectors", "kingdee-main", "entities", "customer", "mapping")) == 7


def test_line_of_a_list_item_is_the_items_line() -> None:
    loaded = load_yaml(DOCUMENT, source_name="hub.yaml")

    assert loaded.line_of(("webhooks", "retry_schedule", 1)) == 11


def test_line_of_a_path_not_in_the_file_falls_back_to_its_nearest_ancestor() -> None:
    loaded = load_yaml(DOCUMENT, source_name="hub.yaml")

    assert loaded.line_of(("connectors", "kingdee-main", "missing", "deeper")) == 2


def test_value_line_of_a_block_value_is_where_the_value_starts() -> None:
    loaded = load_yaml(DOCUMENT, source_name="hub.yaml")

    assert loaded.line_of(("connectors", "kingdee-main", "settings")) == 4
    assert loaded.value_line_of(("connectors", "kingdee-main", "settings")) == 5


def test_data_is_plain_python_values() -> None:
    loaded = load_yaml("a: 1\nb: [true, null, 2.5]\nc: 2024-05-01\nd: '007'\n", source_name="x.yaml")

    assert loaded.data == {"a": 1, "b": [True, None, 2.5], "c": dt.date(2024, 5, 1), "d": "007"}


def test_empty_document_is_none_without_problems() -> None:
    loaded = load_yaml("# only a comment\n", source_name="x.yaml")

    assert loaded.data is None
    assert loaded.problems == ()


def test_problem_formats_as_file_line_path_reason() -> None:
    loaded = load_yaml(DOCUMENT, source_name="hub.yaml")

    problem = loaded.problem(("connectors", "kingdee-main", "type"), "unknown connector type")

    assert str(problem) == "hub.yaml:3: connectors.kingdee-main.type: unknown connector type"


@pytest.mark.parametrize(
    ("path", "dotted"),
    [
        (("a",), "a"),
        (("a", "b", 2, "c"), "a.b[2].c"),
        ((), ""),
    ],
    ids=["key", "nested-with-index", "root"],
)
def test_format_path(path: tuple[str | int, ...], dotted: str) -> None:
    assert format_path(path) == dotted


class TestInterpolation:
    def test_a_reference_is_replaced_by_the_variable(self) -> None:
        loaded = load_yaml("password: ${KD_PASSWORD}\n", source_name="hub.yaml", env={"KD_PASSWORD": "s3cret"})

        assert loaded.data == {"password": "s3cret"}

    def test_references_inside_text_are_replaced(self) -> None:
        loaded = load_yaml("url: http://${HOST}:${PORT}/k3\n", source_name="x", env={"HOST": "h", "PORT": "81"})

        assert loaded.data == {"url": "http://h:81/k3"}

    def test_default_is_used_when_the_variable_is_unset(self) -> None:
        loaded = load_yaml("lcid: ${KD_LCID:-2052}\n", source_name="x", env={})

        assert loaded.data == {"lcid": "2052"}

    def test_default_is_used_when_the_variable_is_empty(self) -> None:
        loaded = load_yaml("lcid: ${KD_LCID:-2052}\n", source_name="x", env={"KD_LCID": ""})

        assert loaded.data == {"lcid": "2052"}

    def test_variable_wins_over_the_default(self) -> None:
        loaded = load_yaml("lcid: ${KD_LCID:-2052}\n", source_name="x", env={"KD_LCID": "1033"})

        assert loaded.data == {"lcid": "1033"}

    def test_double_dollar_is_a_literal_dollar(self) -> None:
        loaded = load_yaml("price: $$5 and $${NOT_A_REF}\n", source_name="x", env={})

        assert loaded.data == {"price": "$5 and ${NOT_A_REF}"}

    def test_unset_variable_is_an_error_naming_file_line_and_variable(self) -> None:
        text = "connectors:\n  kd:\n    settings:\n      password: ${KD_PASSWORD}\n"

        with pytest.raises(ConfigError) as caught:
            load_yaml(text, source_name="hub.yaml", env={})

        assert caught.value.message.startswith(
            "hub.yaml:4: connectors.kd.settings.password: environment variable KD_PASSWORD is not set"
        )
        assert caught.value.details == [
            {
                "file": "hub.yaml",
                "line": 4,
                "path": "connectors.kd.settings.password",
                "message": caught.value.details[0]["message"],
            }
        ]

    def test_unset_variable_never_becomes_silently_empty(self) -> None:
        loaded = parse_yaml("a: ${NOPE}\nb: ${ALSO_NOPE}\n", source_name="x.yaml", env={})

        assert [p.line for p in loaded.problems] == [1, 2]

    def test_malformed_reference_is_an_error(self) -> None:
        loaded = parse_yaml("a: ${1BAD}\n", source_name="x.yaml", env={})

        assert "bad variable reference '${1BAD}'" in loaded.problems[0].message

    def test_keys_are_not_interpolated(self) -> None:
        loaded = load_yaml("${KEY}: 1\n", source_name="x", env={"KEY": "k"})

        assert loaded.data == {"${KEY}": 1}

    def test_non_string_values_are_left_alone(self) -> None:
        loaded = load_yaml("port: 8000\n", source_name="x", env={})

        assert loaded.data == {"port": 8000}

    def test_interpolation_can_be_switched_off(self) -> None:
        loaded = load_yaml("a: ${NOPE}\n", source_name="x", env={}, interpolate=False)

        assert loaded.data == {"a": "${NOPE}"}

    def test_raw_of_gives_the_text_before_interpolation(self) -> None:
        loaded = load_yaml("password: ${KD_PASSWORD}\n", source_name="x", env={"KD_PASSWORD": "s3cret"})

        assert loaded.raw_of(("password",)) == "${KD_PASSWORD}"

    def test_environment_is_the_default_source(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("HUB_TEST_YAML_VAR", "from-env")

        assert load_yaml("a: ${HUB_TEST_YAML_VAR}\n", source_name="x").data == {"a": "from-env"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("${KD_PASSWORD}", True), ("${KD_PASSWORD:-x}", False), ("Bearer ${T}", False), ("plain", False)],
    ids=["reference", "with-default", "inside-text", "literal"],
)
def test_is_reference(text: str, expected: bool) -> None:
    assert is_reference(text) is expected


class TestDuplicateKeys:
    def test_duplicate_key_is_an_error_with_both_lines(self) -> None:
        text = "connectors:\n  kd:\n    type: kingdee\n    settings: {}\n    type: yonyou\n"

        loaded = parse_yaml(text, source_name="hub.yaml")

        assert [str(p) for p in loaded.problems] == [
            "hub.yaml:5: connectors.kd.type: duplicate key 'type' (lines 3 and 5)"
        ]

    def test_same_key_in_different_mappings_is_fine(self) -> None:
        loaded = parse_yaml("a: {type: x}\nb: {type: y}\n", source_name="x.yaml")

        assert loaded.problems == ()

    def test_merge_key_values_can_be_overridden_without_a_duplicate_error(self) -> None:
        text = "base: &base {type: kingdee, lcid: 2052}\nkd:\n  <<: *base\n  lcid: 1033\n"

        loaded = load_yaml(text, source_name="x.yaml")

        assert loaded.data["kd"] == {"type": "kingdee", "lcid": 1033}
        assert loaded.line_of(("kd", "lcid")) == 4
        assert loaded.line_of(("kd", "type")) == 1


class TestBrokenFiles:
    def test_syntax_error_names_the_line(self) -> None:
        loaded = parse_yaml("a: 1\nb: [1, 2\nc: 3\n", source_name="hub.yaml")

        assert loaded.data is None
        assert len(loaded.problems) == 1
        assert loaded.problems[0].line is not None
        assert loaded.problems[0].message.startswith("invalid YAML:")

    def test_unquoted_reference_in_a_flow_mapping_gets_a_hint(self) -> None:
        loaded = parse_yaml("verify: {scheme: standard-webhooks, secret: ${SHOP_SECRET}}\n", source_name="hub.yaml")

        assert loaded.problems[0].line == 1
        assert 'a reference needs quotes: secret: "${NAME}"' in loaded.problems[0].message

    def test_unknown_tag_is_a_problem(self) -> None:
        loaded = parse_yaml("a:\n  b: !python/object 1\n", source_name="x.yaml")

        assert loaded.problems[0].line == 2
        assert loaded.problems[0].path == ("a", "b")

    def test_recursive_alias_is_a_problem_not_a_hang(self) -> None:
        loaded = parse_yaml("a: &a [1, *a]\n", source_name="x.yaml")

        assert "refers to the mapping or list that contains it" in loaded.problems[0].message

    def test_missing_file_is_a_problem(self, tmp_path: Path) -> None:
        loaded = parse_yaml(tmp_path / "nope.yaml", source_name="nope.yaml")

        assert str(loaded.problems[0]) == "nope.yaml: file not found"

    def test_file_with_a_byte_order_mark_is_read(self, tmp_path: Path) -> None:
        path = tmp_path / "hub.yaml"
        path.write_bytes("\ufeffname: 客户\n".encode())

        assert load_yaml(path).data == {"name": "客户"}

    def test_file_source_name_defaults_to_the_path(self, tmp_path: Path) -> None:
        path = tmp_path / "m.yaml"
        path.write_text("a: ${NOPE}\n", encoding="utf-8")

        assert parse_yaml(path, env={}).problems[0].file == str(path)


def test_config_error_lists_every_problem_sorted_by_line() -> None:
    problems = [Problem("hub.yaml", 9, ("b",), "second"), Problem("hub.yaml", 2, ("a",), "first")]

    error = config_error(problems)

    assert error.message == "2 configuration errors:\n  hub.yaml:2: a: first\n  hub.yaml:9: b: second"
    assert [d["line"] for d in error.details] == [2, 9]
