"""The records of an upsert batch: what callers pass and get back, and the batch's in-memory working set."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import CursorResult

from hub.errors import HubError
from hub.store.identity import Key, identity_keys

CHUNK = 500  # bound IN lists well below every backend's parameter limit

Action = Literal["created", "updated", "unchanged", "deleted", "rejected"]


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record as a source system describes it, already mapped to canonical fields."""

    system: str
    object: str
    external_id: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] | None = None
    deleted: bool = False  # the source deleted it: tombstone this ref
    mapping: str | None = None  # the mapping that produced ``fields`` from ``raw``
    mapping_hash: str | None = None  # and its version, so ``hub remap`` knows what is stale
    # A source that describes part of an existing record (receipts paying an order) joins that
    # record instead of creating one; survivorship then merges what each source says.
    attach_to: str | None = None


@dataclass(slots=True)
class UpsertResult:
    system: str
    object: str
    external_id: str
    action: Action
    record_id: str | None = None
    version: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    review: str | None = None  # id of the identity match held for review
    error: HubError | None = None


@dataclass(slots=True)
class SourceRef:
    record_id: str
    system: str
    object: str
    external_id: str
    fields: dict[str, Any]
    fields_hash: str
    raw: Any
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    id: int | None = None
    dirty: bool = False
    mapping: str | None = None
    mapping_hash: str | None = None
    _keys: set[Key] | None = None

    def keys(self, kinds: tuple[str, ...]) -> set[Key]:
        """Identity keys of this source's fields (cached until the fields change)."""
        if self._keys is None:
            self._keys = identity_keys(self.fields, kinds)
        return self._keys

    def set_fields(self, fields: dict[str, Any], fields_hash: str) -> None:
        self.fields, self.fields_hash, self._keys = fields, fields_hash, None

    @property
    def source_key(self) -> tuple[str, str, str]:
        return (self.system, self.object, self.external_id)


@dataclass(slots=True)
class WorkingRecord:
    id: str
    row: dict[str, Any] | None  # None: created in this batch
    refs: list[SourceRef] = field(default_factory=list)
    keys: set[Key] = field(default_factory=set)  # identity keys as stored
    touched: bool = False
    source_system: str | None = None
    merged_into: str | None = None  # set when this batch merges the record into another


def row_dicts(result: CursorResult[Any]) -> Iterable[dict[str, Any]]:
    """Rows as plain dicts (zipping with the keys once is much cheaper than RowMapping per row)."""
    keys = list(result.keys())
    for row in result:
        yield dict(zip(keys, row, strict=True))


def chunks(items: Sequence[Any]) -> Iterable[list[Any]]:
    items = list(items)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]

