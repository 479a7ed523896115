"""Crosswalk lookups for mappings, resolved a page at a time (one query per system and entity)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection

from hub.mapping.compiler import PendingLookup
from hub.store.records import external_ids_for, resolve_refs


class LookupResolver(Protocol):
    def to_canonical(self, system: str, entity: str, external_ids: Collection[str]) -> dict[str, str]:
        """Vendor ids -> canonical ids; ids that are not known are left out."""
        ...

    def to_external(self, system: str, entity: str, record_ids: Collection[str]) -> dict[str, str]:
        """Canonical ids -> that system's ids; records the system does not know are left out."""
        ...


class StoreResolver:
    """Resolves through the store's crosswalk on the caller's connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def to_canonical(self, system: str, entity: str, external_ids: Collection[str]) -> dict[str, str]:
        return resolve_refs(self.conn, entity, system, list(external_ids))

    def to_external(self, system: str, entity: str, record_ids: Collection[str]) -> dict[str, str]:
        return external_ids_for(self.conn, entity, system, list(record_ids))


@dataclass
class Slot:
    container: Any  # dict or list holding the pending value
    key: Any
    pending: PendingLookup
    field: str
    record: int


def find_pending(value: Any, record: int, field: str = "", slots: list[Slot] | None = None) -> list[Slot]:
    """Every PendingLookup inside a mapped record, with where it sits."""
    slots = [] if slots is None else slots
    items: Any = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        here = f"{field}[{key}]" if isinstance(key, int) else (f"{field}.{key}" if field else str(key))
        if isinstance(item, PendingLookup):
            slots.append(Slot(value, key, item, here, record))
        elif isinstance(item, dict | list):
            find_pending(item, record, here, slots)
    return slots


def resolve_slots(slots: list[Slot], resolver: LookupResolver) -> dict[int, tuple[str, str, str]]:
    """Fill every slot in place; return, per record index, the first (field, value, reason) that failed."""
    groups: dict[tuple[str, str, bool], set[str]] = {}
    for slot in slots:
        p = slot.pending
        groups.setdefault((p.lookup.system, p.lookup.entity, p.to_external), set()).add(p.value)
    answers: dict[tuple[str, str, bool], dict[str, str]] = {}
    for (system, entity, to_external), values in groups.items():
        if to_external:
            answers[(system, entity, True)] = resolver.to_external(system, entity, values)
        else:
            answers[(system, entity, False)] = resolver.to_canonical(system, entity, values)
    failures: dict[int, tuple[str, str, str]] = {}
    for slot in slots:
        p = slot.pending
        found: Any = answers[(p.lookup.system, p.lookup.entity, p.to_external)].get(p.value)
        if found is None:
            if p.to_external:
                reason = f"{p.lookup.entity} {p.value} has no id in {p.lookup.system} yet (push it first)"
            else:
                reason = f"no {p.lookup.entity} with {p.lookup.system} id {p.value!r} in the hub (sync it first)"
            failures.setdefault(slot.record, (slot.field, p.value, reason))
        elif p.then is not None:
            try:
                found = p.then(found)
            except Exception as exc:  # the reversed map or steps refused the vendor id: that record fails
                reason = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
                failures.setdefault(slot.record, (slot.field, found, reason))
                found = None
        slot.container[slot.key] = found
    return failures


def mark_unresolved(slots: list[Slot]) -> None:
    """For previews without a database: show what would be looked up instead of resolving it."""
    for slot in slots:
        p = slot.pending
        slot.container[slot.key] = {
            "$lookup": {"system": p.lookup.system, "entity": p.lookup.entity, "value": p.value,
                        "direction": "to_external" if p.to_external else "to_canonical"}
        }
