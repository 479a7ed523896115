"""Flow files: every problem found at once, each with its line; expressions compiled when the file loads."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.flows.expressions import ExpressionError, compile_expression, compile_value
from hub.flows.spec import load_flow, parse_flow


def _parse(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "f.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    _, problems = parse_flow(path, shown="flows/f.yaml")
    return [str(p) for p in problems]


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    problems = _parse(tmp_path, """
        name: Bad Name
        trigger: {event: order.confirmed, when: 'record.total >'}
        steps:
          - id: a
            kind: push
            connector: kingdee-main
          - id: a
            kind: teleport
          - id: b
            kind: branch
            if: record.status == "x"
            then: a
          - id: c
            kind: wait
            until: has(record.paid)
    """)

    assert problems == [
        "flows/f.yaml:2: name: a name is required: lower-case letters, digits, - and _ (e.g. order-to-production)",
        "flows/f.yaml:3: trigger.when: invalid expression at column 15: Syntax error: mismatched input '<EOF>' "
        "expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, "
        "BYTES, IDENTIFIER}",
        "flows/f.yaml:5: steps[0].action: this step needs action",
        "flows/f.yaml:5: steps[0].record: this step needs record",
        "flows/f.yaml:9: steps[1].kind: kind must be one of push, notify, record, find, webhook, wait, branch",
        "flows/f.yaml:13: steps[2].then: then goes back to 'a'; a flow only jumps forward (each step runs at most "
        "once per run)",
        "flows/f.yaml:14: steps[3].timeout: until needs a timeout (e.g. 2h): a condition that never holds would "
        "wait forever",
    ]


def test_an_unknown_variable_is_caught_when_the_file_loads_not_when_a_run_hits_it(tmp_path: Path) -> None:
    problems = _parse(tmp_path, """
        name: typo
        trigger: {event: order.confirmed}
        steps:
          - id: a
            kind: record
            entity: project
            fields: {code: =recrod.number}
    """)

    assert problems == ["flows/f.yaml:8: steps[0].fields: unknown variable recrod in 'recrod.number'; expressions "
                        "can use event, record, steps, vars, run, now, item, index"]


def test_load_flow_raises_one_error_listing_them_all(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("name: x\nsteps: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="2 configuration errors"):
        load_flow(path)


def test_values_are_literal_unless_they_start_with_equals() -> None:
    value = compile_value({"code": "='P-' + record.number", "status": "planned", "lines": ["=item.qty", 3]})

    assert value.evaluate({"record": {"number": "SO-1"}, "item": {"qty": 2}}) == {
        "code": "P-SO-1", "status": "planned", "lines": [2, 3]}


def test_a_condition_must_give_true_or_false_and_a_missing_field_names_it() -> None:
    with pytest.raises(ExpressionError, match="gave str 'x', not true or false"):
        compile_expression("record.status").test({"record": {"status": "x"}})
    with pytest.raises(ExpressionError, match="no field 'total'"):
        compile_expression("record.total > 1.0").evaluate({"record": {}})


def test_date_gives_the_beijing_day() -> None:
    assert compile_expression('date(timestamp("2026-11-25T17:30:00Z"))').evaluate({}) == "2026-11-26"
