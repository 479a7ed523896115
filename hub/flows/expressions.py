"""Expressions in flows: CEL (Common Expression Language), compiled once when the flow loads.

CEL is side-effect free and has no access to Python (no ``eval``), so an admin's condition
can never do more than compute a value. Conditions (``when``, ``until``, ``for_each``) are
expressions; in any other value a string that starts with ``=`` is one, and everything else
is a literal::

    when: double(record.total) >= 10000.0 && record.currency == "CNY"
    record:
      sku: =item.sku                    # the value of the expression, any type
      note: =("订单 " + record.number)   # strings concatenate with +
      status: planned                   # a literal

Variables: ``event``, ``record``, ``steps`` (earlier steps' outputs), ``vars`` (the flow's
constants), ``run``, ``now`` (a timestamp), and ``item``/``index`` inside ``for_each``.
Functions: CEL's standard ones, plus ``date(timestamp)`` (the Beijing-time day, ``2026-11-25``) and
``millis(timestamp)`` (Unix milliseconds).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import cel

from hub.errors import ConfigError, RecordError

VARIABLES = ("event", "record", "steps", "vars", "run", "now", "item", "index")
PREFIX = "="
_MACRO_VARIABLE = re.compile(r"\.(?:all|exists|exists_one|map|filter)\(\s*([A-Za-z_]\w*)\s*,")
BEIJING = timezone(timedelta(hours=8))


def _date(value: Any) -> str:
    """``date(now)``: the day in Beijing time as ``2026-11-25`` (what Chinese ERPs take as a document date)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.astimezone(BEIJING).date().isoformat()


def _millis(value: Any) -> int:
    """``millis(ts)``: Unix time in milliseconds (DingTalk's dueTime, for one)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return int(moment.timestamp() * 1000)


FUNCTIONS: dict[str, Any] = {"date": _date, "millis": _millis}  # beyond CEL's standard functions


class ExpressionError(RecordError):
    """An expression failed on this run's data (a missing field, a type mismatch): the step fails."""

    code = "expression_failed"


@dataclass(frozen=True)
class Expression:
    """One compiled CEL expression."""

    source: str
    program: cel.Program
    uses: tuple[str, ...] = ()  # the variables it reads: only these are converted to CEL values

    def evaluate(self, activation: Mapping[str, Any]) -> Any:
        variables = {name: activation[name] for name in self.uses if name in activation}
        try:
            return self.program.execute(cel.Context(variables=variables, functions=FUNCTIONS))
        except Exception as exc:  # the library raises KeyError/TypeError/ValueError/RuntimeError
            reason = f"no field {exc}" if isinstance(exc, KeyError) else str(exc).split("\n")[0]
            raise ExpressionError(f"expression {self.source!r} failed: {reason}",
                                  details={"expression": self.source}) from exc

    def test(self, activation: Mapping[str, Any]) -> bool:
        """A condition's value, which must be a boolean."""
        value = self.evaluate(activation)
        if not isinstance(value, bool):
            raise ExpressionError(f"condition {self.source!r} gave {type(value).__name__} {value!r}, not true or "
                                  "false", details={"expression": self.source})
        return value


def compile_expression(source: str, *, allowed: tuple[str, ...] = VARIABLES) -> Expression:
    """Compile ``source``; ConfigError (with the parser's position) when it is not valid CEL."""
    text = source.strip()
    if not text:
        raise ConfigError("empty expression")
    try:
        program = cel.compile(text)
    except ValueError as exc:
        raise ConfigError(_syntax_message(str(exc))) from exc
    bound = set(_MACRO_VARIABLE.findall(text))  # x in list.all(x, ...): the macro's own variable
    unknown = sorted(set(program.variables()) - set(allowed) - bound)
    if unknown:
        raise ConfigError(f"unknown variable {', '.join(unknown)} in {text!r}; expressions can use "
                          f"{', '.join(allowed)}")
    return Expression(text, program, tuple(v for v in program.variables() if v in allowed))


def _syntax_message(error: str) -> str:
    # The library's message: "Failed to parse expression '...': ERROR: <input>:1:5: Syntax error: ..."
    _, _, rest = error.partition("ERROR: <input>:")
    if not rest:
        return f"invalid expression: {error.splitlines()[0]}"
    position, _, reason = rest.partition(": ")
    return f"invalid expression at column {position.split(':')[-1]}: {reason.splitlines()[0]}"


class Value:
    """A value in a flow file: literals kept as they are, ``=expr`` strings evaluated, recursively."""

    def __init__(self, raw: Any, compiled: Any) -> None:
        self.raw = raw
        self._compiled = compiled
        self.dynamic = _has_expression(compiled)

    def evaluate(self, activation: Mapping[str, Any]) -> Any:
        return _evaluate(self._compiled, activation) if self.dynamic else self.raw


def compile_value(raw: Any, *, allowed: tuple[str, ...] = VARIABLES) -> Value:
    """Compile every ``=expr`` string inside ``raw`` (dicts and lists included)."""
    return Value(raw, _compile(raw, allowed))


def _compile(raw: Any, allowed: tuple[str, ...]) -> Any:
    if isinstance(raw, str) and raw.startswith(PREFIX):
        return compile_expression(raw[len(PREFIX):], allowed=allowed)
    if isinstance(raw, dict):
        return {key: _compile(value, allowed) for key, value in raw.items()}
    if isinstance(raw, list):
        return [_compile(value, allowed) for value in raw]
    return raw


def _has_expression(compiled: Any) -> bool:
    if isinstance(compiled, Expression):
        return True
    if isinstance(compiled, dict):
        return any(_has_expression(v) for v in compiled.values())
    if isinstance(compiled, list):
        return any(_has_expression(v) for v in compiled)
    return False


def _evaluate(compiled: Any, activation: Mapping[str, Any]) -> Any:
    if isinstance(compiled, Expression):
        return plain(compiled.evaluate(activation))
    if isinstance(compiled, dict):
        return {key: _evaluate(value, activation) for key, value in compiled.items()}
    if isinstance(compiled, list):
        return [_evaluate(value, activation) for value in compiled]
    return compiled


def plain(value: Any) -> Any:
    """A CEL result as JSON-ready data (timestamps as ISO 8601 text)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def as_cel(data: Any) -> Any:
    """Stored data as CEL sees it: JSON types only (Decimals and datetimes become text, as in events).

    Keys without a value are left out, so ``has(record.assignee)`` means "has an assignee".
    """
    return _without_nulls(json.loads(json.dumps(data, default=_json_default)))


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)
