"""The subset of K3 Cloud's FilterString and OrderString the simulator understands.

``FModifyDate>='2024-01-01 00:00:00' AND FDocumentStatus='C' AND FBillNo IN ('A','B')``:
terms joined by AND, each ``key op literal`` with ``= <> != > >= < <= LIKE`` or
``[NOT] IN (...)``; literals are numbers or single-quoted text ('' is a quote).
Anything else (OR, parentheses around terms, functions) is refused with an error
payload, as a real server refuses SQL it cannot parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

_TERM = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(>=|<=|<>|!=|=|>|<|\s(?:NOT\s+)?IN\s|\sLIKE\s)\s*(.+?)\s*$", re.I | re.S)
_LITERAL = re.compile(r"\s*('(?:[^']|'')*'|-?\d+(?:\.\d+)?)\s*(?:,|$)")
_AND = re.compile(r"\s+AND\s+", re.I)


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class Term:
    key: str
    op: str  # = <> > >= < <= in notin like
    values: tuple[Any, ...]


def _split_and(text: str) -> list[str]:
    """Split on AND outside quotes."""
    parts: list[str] = []
    current: list[str] = []
    quoted, index = False, 0
    while index < len(text):
        char = text[index]
        if char == "'":
            quoted = not quoted
        if not quoted:
            match = _AND.match(text, index)
            if match:
                parts.append("".join(current))
                current, index = [], match.end()
                continue
        current.append(char)
        index += 1
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def _literals(text: str) -> tuple[Any, ...]:
    values, position = [], 0
    while position < len(text):
        match = _LITERAL.match(text, position)
        if match is None:
            raise FilterError(f"cannot read the value list {text!r}")
        token = match.group(1)
        values.append(token[1:-1].replace("''", "'") if token.startswith("'") else float(token))
        position = match.end()
    return tuple(values)


@lru_cache(maxsize=256)
def parse_filter(text: str) -> tuple[Term, ...]:
    terms = []
    for part in _split_and(text or ""):
        match = _TERM.match(part)
        if match is None:
            raise FilterError(f"FilterString 语法错误 (unsupported filter): {part.strip()!r}")
        key, op, rest = match.group(1), " ".join(match.group(2).split()).lower(), match.group(3)
        if op in ("in", "not in"):
            if not (rest.startswith("(") and rest.endswith(")")):
                raise FilterError(f"FilterString 语法错误: IN needs a list in parentheses: {part.strip()!r}")
            values = _literals(rest[1:-1])
            op = "in" if op == "in" else "notin"
        else:
            values = _literals(rest)
            if len(values) != 1:
                raise FilterError(f"FilterString 语法错误: one value expected: {part.strip()!r}")
            op = "<>" if op == "!=" else op
        terms.append(Term(key, op, values))
    return tuple(terms)


@lru_cache(maxsize=256)
def parse_order(text: str) -> tuple[tuple[str, bool], ...]:
    """``FModifyDate ASC,FID DESC`` -> ((key, descending), ...)."""
    order = []
    for part in (text or "").split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise FilterError(f"OrderString 语法错误: {part.strip()!r}")
        order.append((words[0], len(words) == 2 and words[1].upper() == "DESC"))
    return tuple(order)


def is_date_key(key: str) -> bool:
    """A date field: ``FDate``, ``FModifyDate``, and the upper-case ``FDATE`` of the finance forms."""
    return key.endswith(("Date", "DATE"))


def normalize_time(value: Any) -> str:
    """A date literal in the simulator's stored form (``2024-05-01T10:20:30.123``)."""
    text = str(value).strip().replace(" ", "T", 1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FilterError(f"不是有效的日期 (not a date): {value!r}") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def comparable(value: Any, literal: Any, *, is_time: bool) -> tuple[Any, Any]:
    """Both sides in one comparable form: times as text, numbers as floats, else text."""
    if is_time:
        return (normalize_time(value) if value else ""), normalize_time(literal)
    if isinstance(literal, float):
        try:
            return float(value), literal
        except (TypeError, ValueError):
            return str(value), str(literal)
    return ("" if value is None else str(value)), literal


def matches(value: Any, term: Term, *, is_time: bool) -> bool:
    op = term.op
    if op in ("in", "notin"):
        found = any(_equal(value, v, is_time) for v in term.values)
        return found if op == "in" else not found
    if op == "like":
        pattern = "^" + re.escape(str(term.values[0])).replace("%", ".*").replace("_", ".") + "$"
        return re.match(pattern, "" if value is None else str(value)) is not None
    left, right = comparable(value, term.values[0], is_time=is_time)
    try:
        return bool({"=": left == right, "<>": left != right, ">": left > right, ">=": left >= right,
                     "<": left < right, "<=": left <= right}[op])
    except TypeError:
        return False


def _equal(value: Any, literal: Any, is_time: bool) -> bool:
    left, right = comparable(value, literal, is_time=is_time)
    return bool(left == right)
