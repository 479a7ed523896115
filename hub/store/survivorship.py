"""Field-level survivorship: which source's value the canonical record shows. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.store.rules import EntityRules


@dataclass(frozen=True)
class Contribution:
    """What one source system last said about a record."""

    system: str
    updated_at: datetime
    fields: Mapping[str, Any]


def _has_value(value: Any) -> bool:
    return value is not None and value != "" and value != []


def merge_contributions(
    field_names: Sequence[str], contributions: Sequence[Contribution], rules: EntityRules
) -> dict[str, Any]:
    """The winning value of every field.

    A single contribution is returned as is (the common case, kept cheap). With
    several: union fields combine every source's list (priority systems first,
    duplicates dropped); other fields take the first non-empty value from the
    priority systems, else the most recently updated source that has one.
    """
    if len(contributions) == 1:
        only = contributions[0].fields
        return {name: only.get(name) for name in field_names}
    newest_first = sorted(contributions, key=lambda c: c.updated_at, reverse=True)
    merged: dict[str, Any] = {}
    for name in field_names:
        ordered = _ordered_for(name, newest_first, rules)
        if name in rules.union:
            merged[name] = _union(c.fields.get(name) for c in ordered)
        elif name == "attributes":  # free-form extras: every source's keys, the winning source's on a clash
            merged[name] = _merged_attributes(c.fields.get(name) for c in ordered)
        else:
            merged[name] = next(
                (c.fields[name] for c in ordered if _has_value(c.fields.get(name))),
                next((c.fields[name] for c in ordered if name in c.fields), None),
            )
    return merged


def _ordered_for(name: str, newest_first: list[Contribution], rules: EntityRules) -> list[Contribution]:
    priority = rules.survivorship.get(name, ())
    if not priority:
        return newest_first
    rank = {system: i for i, system in enumerate(priority)}
    return sorted(newest_first, key=lambda c: rank.get(c.system, len(priority)))  # stable: newest next


def _union(values: Any) -> list[Any] | None:
    seen: list[Any] = []
    found = False
    for value in values:
        if value is None:
            continue
        found = True
        for item in value:
            if item not in seen:
                seen.append(item)
    return seen if found else None


def _merged_attributes(values: Any) -> dict[str, Any] | None:
    merged: dict[str, Any] = {}
    found = False
    for value in reversed(list(values)):  # lowest rank first, so the first-ranked source's keys win
        if isinstance(value, dict):
            found = True
            merged.update(value)
    return merged if found else None
