"""``Store``: the store's operations, each in its own transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from hub.store.records import find_by_ref, get_record
from hub.store.rules import StoreRules
from hub.store.upsert import SourceRecord, UpsertResult, upsert_records


class Store:
    def __init__(self, engine: Engine, rules: StoreRules | None = None) -> None:
        self.engine = engine
        self.rules = rules or StoreRules()

    def upsert(self, entity: str, records: Sequence[SourceRecord]) -> list[UpsertResult]:
        with self.engine.begin() as conn:
            return upsert_records(conn, entity, records, self.rules)

    def upsert_one(self, entity: str, record: SourceRecord) -> UpsertResult:
        return self.upsert(entity, [record])[0]

    def get(self, entity: str, record_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return get_record(conn, entity, record_id, with_raw=True)

    def find(self, entity: str, system: str, external_id: str, object_name: str | None = None) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            return find_by_ref(conn, entity, system, external_id, object_name)
