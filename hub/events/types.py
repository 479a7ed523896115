"""Which event types a change fires. Pure functions."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any, Literal

Change = Literal["created", "updated", "deleted"]


def event_types(
    entity: str,
    change: Change,
    transitions: Mapping[str, Mapping[str, str]],
    new: Mapping[str, Any],
    changed_fields: Iterable[str],
) -> list[str]:
    """``<entity>.<change>`` first, then every transition the change makes.

    A transition fires when its field *becomes* the value: on create when the
    record starts in that state, on update only when that field changed.
    """
    types = [f"{entity}.{change}"]
    if change == "deleted":
        return types
    changed = set(changed_fields)
    for field, by_value in transitions.items():
        if change == "updated" and field not in changed:
            continue
        fired = by_value.get(new.get(field))  # type: ignore[arg-type]
        if fired:
            types.append(fired)
    return types


def type_matches(event_type: str, patterns: Iterable[str]) -> bool:
    """``order.*`` matches ``order.created`` and ``order.confirmed``; ``*`` matches all."""
    return any(fnmatch.fnmatchcase(event_type, p) for p in patterns)
