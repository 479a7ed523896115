"""Which subscriptions an event goes to: its type against the patterns, its data against the filter. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.events.types import type_matches

_MISSING = object()


@dataclass(frozen=True)
class Route:
    """What fan-out needs to know of an enabled subscription."""

    id: str
    events: tuple[str, ...]
    filter: Mapping[str, Any] | None

    def wants(self, event_type: str, data: Mapping[str, Any]) -> bool:
        return type_matches(event_type, self.events) and filter_matches(self.filter, data)


def filter_matches(wanted: Mapping[str, Any] | None, data: Mapping[str, Any]) -> bool:
    """Every field has the value, or one of the listed values. ``a.b`` reaches into nested objects.

    A field holding a list matches when any of its items is wanted (``tags: VIP``).
    A missing field only matches ``null``.
    """
    if not wanted:
        return True
    for path, expected in wanted.items():
        options = expected if isinstance(expected, list) else [expected]
        actual = _lookup(data, path)
        if actual is _MISSING:
            actual = None
        if isinstance(actual, list):
            if not any(_equal(item, option) for item in actual for option in options):
                return False
        elif not any(_equal(actual, option) for option in options):
            return False
    return True


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    if path in data:
        return data[path]
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


def _equal(actual: Any, option: Any) -> bool:
    if isinstance(actual, bool) or isinstance(option, bool):
        return actual is option
    if actual == option:
        return True
    # Money travels as text ("12.50"); let a filter written as a number or text match either way.
    return actual is not None and option is not None and str(actual) == str(option)


def routes_for(routes: Sequence[Route], event_type: str, data: Mapping[str, Any]) -> list[str]:
    """The ids of the subscriptions that want this event, in the given order."""
    return [route.id for route in routes if route.wants(event_type, data)]
