"""The list APIs' query language: ``simpleVOs`` conditions, ``queryOrders`` sorting, pageIndex/pageSize paging."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any


class QueryError(ValueError):
    """A malformed list request (answered as a business error, code 999)."""


def _value(record: dict[str, Any], field: str) -> Any:
    value: Any = record
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _comparable(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return float(value)
    return "" if value is None else str(value)


def _sort_key(value: Any) -> tuple[int, float, str]:
    """Missing values first, then numbers, then text (never comparing a number with text)."""
    if value is None:
        return (0, 0.0, "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (1, float(value), "")
    return (2, 0.0, _comparable(value))


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items]


def _condition(vo: Any) -> Callable[[dict[str, Any]], bool]:
    if not isinstance(vo, dict) or not isinstance(vo.get("field"), str):
        raise QueryError(f"simpleVOs: each condition needs a field, got {vo!r}")
    field, op, value1, value2 = vo["field"], str(vo.get("op", "eq")), vo.get("value1"), vo.get("value2")

    def ordered(test: Callable[[Any, Any], bool]) -> Callable[[dict[str, Any]], bool]:
        def check(record: dict[str, Any]) -> bool:
            have = _value(record, field)
            if have is None:
                return False
            left, right = _comparable(have), _comparable(value1)
            if type(left) is not type(right):
                left, right = str(have), str(value1)
            return test(left, right)
        return check

    tests: dict[str, Callable[[dict[str, Any]], bool]] = {
        "eq": lambda r: _comparable(_value(r, field)) == _comparable(value1)
        or str(_value(r, field)) == str(value1),
        "neq": lambda r: str(_value(r, field)) != str(value1),
        "gt": ordered(lambda a, b: a > b),
        "egt": ordered(lambda a, b: a >= b),
        "lt": ordered(lambda a, b: a < b),
        "elt": ordered(lambda a, b: a <= b),
        "between": lambda r: _value(r, field) is not None
        and str(value1) <= str(_value(r, field)) <= str(value2),
        "in": lambda r: str(_value(r, field)) in _values(value1),
        "like": lambda r: str(value1) in str(_value(r, field) or ""),
    }
    if op not in tests:
        raise QueryError(f"simpleVOs: unknown op {op!r} (use {', '.join(tests)})")
    return tests[op]


def run_query(records: Iterable[dict[str, Any]], body: dict[str, Any], *, max_page_size: int) -> dict[str, Any]:
    """The ``data`` of a list answer: pageIndex, pageSize, recordCount, pageCount, recordList."""
    try:
        page_index = int(body.get("pageIndex", 1))
        page_size = int(body.get("pageSize", 10))
    except (TypeError, ValueError):
        raise QueryError("pageIndex and pageSize must be numbers") from None
    if page_index < 1 or page_size < 1:
        raise QueryError("pageIndex and pageSize start at 1")
    if page_size > max_page_size:
        raise QueryError(f"pageSize 不能超过 {max_page_size}")
    conditions = [_condition(vo) for vo in body.get("simpleVOs") or []]
    found = [r for r in records if all(test(r) for test in conditions)]
    orders = body.get("queryOrders") or []
    if not isinstance(orders, list):
        raise QueryError("queryOrders must be a list")
    for order in reversed(orders):  # stable sorts, last key first
        if not isinstance(order, dict) or not isinstance(order.get("field"), str):
            raise QueryError(f"queryOrders: each order needs a field, got {order!r}")
        field = order["field"]
        found.sort(key=lambda r: _sort_key(_value(r, field)),
                   reverse=str(order.get("order", "asc")).lower() == "desc")
    start = (page_index - 1) * page_size
    return {
        "pageIndex": page_index,
        "pageSize": page_size,
        "recordCount": len(found),
        "pageCount": math.ceil(len(found) / page_size),
        "recordList": found[start:start + page_size],
    }
