"""The one write path of the canonical store.

``upsert_records`` takes a batch of source records of one entity and, inside the
caller's transaction: updates the crosswalk, resolves identity (customers), merges
the sources into one canonical record by survivorship, bumps the version only on a
real change, writes the version history and appends the events. Everything is read
with a handful of batched queries and written with executemany, so the cost per
record stays flat as batches grow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from hub.db.types import iso_utc, utcnow
from hub.errors import ConflictError, NotFoundError, RecordInvalidError, RetryableError
from hub.events.outbox import NewEvent, append_events
from hub.events.types import event_types
from hub.ids import new_id
from hub.store.batch import (
    Action,
    SourceRecord,
    SourceRef,
    UpsertResult,
    WorkingRecord,
    chunks,
    row_dicts,
)
from hub.store.documents import (
    canonical_json,
    content_hash,
    full_json,
    json_from_row,
    record_document,
    row_values,
)
from hub.store.entities import Entity, get_entity
from hub.store.identity import Key, decide_match, identity_keys
from hub.store.rules import EntityRules, StoreRules
from hub.store.survivorship import Contribution, merge_contributions
from hub.store.tables import IdentityKey, IdentityMatch, MergeHistory, RecordRef, RecordVersion

__all__ = ["SourceRecord", "UpsertResult", "merge_records", "upsert_records"]

REFS = RecordRef.__table__  # type: ignore[attr-defined]
VERSIONS = RecordVersion.__table__  # type: ignore[attr-defined]
KEYS = IdentityKey.__table__  # type: ignore[attr-defined]
MATCHES = IdentityMatch.__table__  # type: ignore[attr-defined]
MERGES = MergeHistory.__table__  # type: ignore[attr-defined]

_IDENTITY_LOCK = 0x6875625F69646E74  # "hub_idnt": serialises identity matching across processes

def upsert_records(
    conn: Connection,
    entity_name: str,
    records: Sequence[SourceRecord],
    rules: StoreRules | None = None,
    *,
    now: datetime | None = None,
) -> list[UpsertResult]:
    """Create, update or tombstone canonical records from source records, in ``conn``'s transaction.

    Records with invalid fields come back with ``action="rejected"`` and the error
    (quarantine them); the rest of the batch is written.
    """
    batch = _Batch(conn, get_entity(entity_name), (rules or StoreRules()).for_entity(entity_name), now)
    try:
        return batch.run(records)
    except IntegrityError as exc:
        # Another process wrote the same source record between our read and write.
        raise RetryableError(
            f"concurrent write to the same {entity_name} records; retry the batch",
            details={"entity": entity_name},
        ) from exc


def merge_records(
    conn: Connection,
    entity_name: str,
    survivor_id: str,
    merged_id: str,
    rules: StoreRules | None = None,
    *,
    actor: str,
    rule: str = "manual",
    value: str | None = None,
    now: datetime | None = None,
) -> tuple[int, int]:
    """Merge ``merged_id`` into ``survivor_id`` through the same write path as ``upsert_records``.

    The survivor takes over every source ref and is recomputed by survivorship (a new
    version and ``<entity>.updated`` when that changes it); the merged record is kept
    as a tombstone with ``merged_into`` and fires ``<entity>.merged``. Returns the new
    versions (survivor, merged).
    """
    batch = _Batch(conn, get_entity(entity_name), (rules or StoreRules()).for_entity(entity_name), now)
    return batch.merge(survivor_id, merged_id, actor=actor, rule=rule, value=value)


class _Batch:
    def __init__(self, conn: Connection, entity: Entity, rules: EntityRules, now: datetime | None) -> None:
        self.conn = conn
        self.entity = entity
        self.rules = rules
        self.now = now or utcnow()
        self.table = entity.table
        self.records: dict[str, WorkingRecord] = {}
        self.refs: dict[tuple[str, str, str], SourceRef] = {}
        self.key_index: dict[Key, set[str]] = {}
        self.matches: list[dict[str, Any]] = []
        self.merges: list[dict[str, Any]] = []

    # -- reading ---------------------------------------------------------------------------

    def run(self, records: Sequence[SourceRecord]) -> list[UpsertResult]:
        results: list[UpsertResult] = []
        accepted: list[tuple[SourceRecord, dict[str, Any], UpsertResult]] = []
        for rec in records:
            result = UpsertResult(rec.system, rec.object, rec.external_id, "unchanged")
            results.append(result)
            try:
                fields = {} if rec.deleted else canonical_json(
                    self.entity, rec.fields, where=f"{rec.system}/{rec.object}/{rec.external_id}"
                )
            except RecordInvalidError as exc:
                result.action, result.error = "rejected", exc
                continue
            accepted.append((rec, fields, result))
        if not accepted:
            return results
        self._prefetch([(rec, fields) for rec, fields, _ in accepted])
        for rec, fields, result in accepted:
            self._apply(rec, fields, result)
        outcome = self._write()
        for _rec, _fields, result in accepted:
            if result.record_id is not None and result.record_id in outcome:
                action, version, changes, types = outcome[result.record_id]
                result.action, result.version, result.changes, result.events = action, version, changes, types
            elif result.record_id is not None:
                result.version = self._version_of(result.record_id)
        return results

    def merge(self, survivor_id: str, merged_id: str, *, actor: str, rule: str, value: str | None) -> tuple[int, int]:
        if survivor_id == merged_id:
            raise ConflictError("cannot merge a record into itself", details={"record_id": survivor_id})
        self._load_records([survivor_id, merged_id])
        survivor, merged = self.records.get(survivor_id), self.records.get(merged_id)
        for record_id, record in ((survivor_id, survivor), (merged_id, merged)):
            if record is None:
                raise NotFoundError(f"no {self.entity.name} with id {record_id!r}")
            if not self._is_live(record):
                raise ConflictError(
                    f"{self.entity.name} {record_id} is deleted or already merged",
                    details={"record_id": record_id},
                )
        assert survivor is not None
        assert merged is not None
        moved = list(merged.refs)  # tombstoned refs move too, and stay tombstoned
        for ref in moved:
            ref.record_id, ref.dirty = survivor_id, True
        survivor.refs.extend(moved)
        merged.refs = []
        merged.merged_into = survivor_id
        survivor.touched = merged.touched = True
        survivor.source_system = merged.source_system = None
        self.merges.append(
            {
                "entity": self.entity.name, "survivor_id": survivor_id, "merged_id": merged_id,
                "refs": [{"system": r.system, "object": r.object, "external_id": r.external_id} for r in moved],
                "rule": rule, "value": value, "actor": actor, "created_at": self.now,
            }
        )
        outcome = self._write()
        survivor_version = outcome[survivor_id][1] if survivor_id in outcome else self._version_of(survivor_id)
        return survivor_version or 0, outcome[merged_id][1]

    def _prefetch(self, incoming: list[tuple[SourceRecord, dict[str, Any]]]) -> None:
        if self.rules.match and self.conn.dialect.name == "postgresql":
            # Identity matching must see every record committed before it decides, so
            # batches of a matched entity take turns (taken before reading anything).
            self.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _IDENTITY_LOCK})
        wanted = {(r.system, r.object, r.external_id) for r, _ in incoming}
        by_system: dict[tuple[str, str], list[str]] = {}
        for system, obj, ext in wanted:
            by_system.setdefault((system, obj), []).append(ext)
        record_ids: set[str] = set()
        for (system, obj), ext_ids in by_system.items():
            for chunk in chunks(ext_ids):
                query = select(REFS).where(
                    REFS.c.entity == self.entity.name,
                    REFS.c.system == system,
                    REFS.c.object == obj,
                    REFS.c.external_id.in_(chunk),
                )
                for row in self.conn.execute(query).mappings():
                    record_ids.add(row["record_id"])
        # Candidates for new source records, by identity key.
        if self.rules.match:
            new_keys: set[Key] = set()
            for rec, fields in incoming:
                if not rec.deleted:
                    new_keys |= identity_keys(fields, self.rules.match)
            for kind in self.rules.match:
                values = sorted(v for k, v in new_keys if k == kind)
                for chunk in chunks(values):  # one indexed (entity, kind, value) lookup per chunk
                    query = select(KEYS.c.record_id).where(
                        KEYS.c.entity == self.entity.name, KEYS.c.kind == kind, KEYS.c.value.in_(chunk)
                    )
                    record_ids.update(self.conn.execute(query).scalars())
        record_ids.update(r.attach_to for r, _ in incoming if r.attach_to is not None)
        self._load_records(record_ids)

    def _load_records(self, record_ids: Iterable[str]) -> None:
        ids = sorted(set(record_ids) - set(self.records))
        if not ids:
            return
        for chunk in chunks(ids):
            for row in row_dicts(self.conn.execute(select(self.table).where(self.table.c.id.in_(chunk)))):
                self.records[row["id"]] = WorkingRecord(row["id"], row)
            for row in row_dicts(self.conn.execute(select(REFS).where(REFS.c.record_id.in_(chunk)))):
                ref = SourceRef(
                    id=row["id"], record_id=row["record_id"], system=row["system"], object=row["object"],
                    external_id=row["external_id"], fields=row["fields"], fields_hash=row["fields_hash"],
                    raw=row["raw"], created_at=row["created_at"], updated_at=row["updated_at"],
                    deleted_at=row["deleted_at"], mapping=row["mapping"], mapping_hash=row["mapping_hash"],
                )
                if ref.record_id in self.records:
                    self.records[ref.record_id].refs.append(ref)
                    self.refs[ref.source_key] = ref
            if self.rules.match:
                query = select(KEYS.c.record_id, KEYS.c.kind, KEYS.c.value).where(KEYS.c.record_id.in_(chunk))
                for record_id, kind, value in self.conn.execute(query):
                    if record_id in self.records:
                        self.records[record_id].keys.add((kind, value))
                        if self._is_live(self.records[record_id]):
                            self.key_index.setdefault((kind, value), set()).add(record_id)

    # -- applying ---------------------------------------------------------------------------

    def _apply(self, rec: SourceRecord, fields: dict[str, Any], result: UpsertResult) -> None:
        key = (rec.system, rec.object, rec.external_id)
        ref = self.refs.get(key)
        raw = dict(rec.raw) if rec.raw is not None else None
        if rec.deleted:
            if ref is None or ref.deleted_at is not None:
                result.record_id = ref.record_id if ref else None
                return
            ref.deleted_at, ref.updated_at, ref.dirty = self.now, self.now, True
            self._touch(ref.record_id, rec.system)
            result.record_id = ref.record_id
            return
        fields_hash = content_hash(fields)
        if ref is not None:
            result.record_id = ref.record_id
            if ref.fields_hash == fields_hash and ref.deleted_at is None:
                if raw is not None and raw != ref.raw:
                    ref.raw, ref.dirty = raw, True  # keep the latest raw; no new version
                if rec.mapping_hash is not None and rec.mapping_hash != ref.mapping_hash:
                    ref.mapping, ref.mapping_hash, ref.dirty = rec.mapping, rec.mapping_hash, True
                return
            ref.set_fields(fields, fields_hash)
            ref.deleted_at, ref.updated_at, ref.dirty = None, self.now, True
            if raw is not None:
                ref.raw = raw
            if rec.mapping_hash is not None:
                ref.mapping, ref.mapping_hash = rec.mapping, rec.mapping_hash
            self._touch(ref.record_id, rec.system)
            return
        record = self._record_for_new_source(rec, fields, result)
        ref = SourceRef(
            record_id=record.id, system=rec.system, object=rec.object, external_id=rec.external_id,
            fields=fields, fields_hash=fields_hash, raw=raw, created_at=self.now, updated_at=self.now,
            deleted_at=None, dirty=True, mapping=rec.mapping, mapping_hash=rec.mapping_hash,
        )
        record.refs.append(ref)
        self.refs[key] = ref
        self._touch(record.id, rec.system)
        result.record_id = record.id

    def _record_for_new_source(
        self, rec: SourceRecord, fields: dict[str, Any], result: UpsertResult
    ) -> WorkingRecord:
        if rec.attach_to is not None:
            target = self.records.get(rec.attach_to)
            if target is None:
                raise NotFoundError(f"no {self.entity.name} {rec.attach_to} to attach "
                                    f"{rec.system}/{rec.object}/{rec.external_id} to")
            return target
        if self.rules.match:
            keys = identity_keys(fields, self.rules.match)
            decision = decide_match(
                keys,
                self.rules.match,
                self.key_index,
                tax_ids_of=lambda rid: {v for k, v in self._keys_of(self.records[rid]) if k == "tax_id"},
                has_same_source=lambda rid: any(
                    x.system == rec.system and x.object == rec.object and x.deleted_at is None
                    for x in self.records[rid].refs
                ),
            )
            if decision.record_id is not None:
                self.merges.append(
                    {
                        "entity": self.entity.name, "survivor_id": decision.record_id, "merged_id": None,
                        "refs": [{"system": rec.system, "object": rec.object, "external_id": rec.external_id}],
                        "rule": decision.rule, "value": decision.value, "actor": "identity-resolution",
                        "created_at": self.now,
                    }
                )
                return self.records[decision.record_id]
            record = self._new_record()
            if decision.review is not None:
                match_id = new_id("idm")
                self.matches.append(
                    {
                        "id": match_id, "entity": self.entity.name, "record_id": record.id,
                        "candidate_ids": list(decision.candidates), "rule": decision.rule,
                        "value": decision.value, "reason": decision.review, "status": "pending",
                        "created_at": self.now,
                    }
                )
                result.review = match_id
            return record
        return self._new_record()

    def _new_record(self) -> WorkingRecord:
        record = WorkingRecord(new_id(self.entity.id_prefix), None)
        self.records[record.id] = record
        return record

    def _touch(self, record_id: str, system: str) -> None:
        record = self.records[record_id]
        record.touched, record.source_system = True, system
        if self.rules.match:
            # Later records of this batch must see this one's keys.
            for key in self._keys_of(record):
                self.key_index.setdefault(key, set()).add(record_id)

    def _keys_of(self, record: WorkingRecord) -> set[Key]:
        keys: set[Key] = set()
        for ref in record.refs:
            if ref.deleted_at is None:
                keys |= ref.keys(self.rules.match)
        return keys

    @staticmethod
    def _is_live(record: WorkingRecord) -> bool:
        return record.row is None or (record.row["deleted_at"] is None and record.row["merged_into"] is None)

    def _version_of(self, record_id: str) -> int | None:
        record = self.records.get(record_id)
        if record is None or record.row is None:
            return None
        version = record.row["version"]
        assert isinstance(version, int)
        return version

    # -- writing ----------------------------------------------------------------------------

    def _write(self) -> dict[str, tuple[Action, int, dict[str, Any], list[str]]]:
        entity, now = self.entity, self.now
        outcome: dict[str, tuple[Action, int, dict[str, Any], list[str]]] = {}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []
        events: list[NewEvent] = []
        key_rewrites: dict[str, set[Key]] = {}

        for record in self.records.values():
            if not record.touched:
                continue
            active = [r for r in record.refs if r.deleted_at is None]
            row = record.row
            if not active:
                if row is None or row["deleted_at"] is not None:
                    continue
                data = json_from_row(entity, row)
                version = row["version"] + 1
                changes = {"deleted_at": {"old": None, "new": iso_utc(now)}}
                merged_into = record.merged_into or row["merged_into"]
                if record.merged_into:
                    changes["merged_into"] = {"old": None, "new": record.merged_into}
                values = {"version": version, "updated_at": now, "deleted_at": now}
                updates.append({**_row_fields(entity, row), **values, "content_hash": row["content_hash"],
                                "merged_into": merged_into, "_id": record.id})
                action: Action = "deleted"
                types = [f"{entity.name}.merged"] if record.merged_into else event_types(
                    entity.name, "deleted", entity.transitions, data, changes
                )
                created_at, deleted_at = row["created_at"], now
            else:
                data = full_json(entity, merge_contributions(
                    entity.field_names,
                    [Contribution(r.system, r.updated_at, r.fields) for r in active],
                    self.rules,
                ))
                digest = content_hash(data)
                if row is None:
                    version, changes, action = 1, {}, "created"
                    inserts.append({**row_values(entity, data), "id": record.id, "version": 1,
                                    "content_hash": digest, "created_at": now, "updated_at": now,
                                    "deleted_at": None, "merged_into": None})
                    created_at = now
                elif digest != row["content_hash"] or row["deleted_at"] is not None:
                    old = json_from_row(entity, row)
                    changes = {k: {"old": old[k], "new": v} for k, v in data.items() if old[k] != v}
                    if row["deleted_at"] is not None:
                        changes["deleted_at"] = {"old": iso_utc(row["deleted_at"]), "new": None}
                    version, action = row["version"] + 1, "updated"
                    updates.append({**row_values(entity, data), "version": version, "content_hash": digest,
                                    "updated_at": now, "deleted_at": None, "merged_into": row["merged_into"],
                                    "_id": record.id})
                    created_at = row["created_at"]
                else:
                    outcome[record.id] = ("unchanged", row["version"], {}, [])
                    if self.rules.match:
                        key_rewrites[record.id] = self._keys_of(record)
                    continue
                types = event_types(entity.name, action, entity.transitions, data, changes)
                deleted_at = None
            if self.rules.match:
                key_rewrites[record.id] = self._keys_of(record) if active else set()
            versions.append({"entity": entity.name, "record_id": record.id, "version": version, "data": data,
                             "changes": changes or None, "source_system": record.source_system,
                             "created_at": now})
            document = record_document(
                entity, record.id, data, version=version, created_at=created_at, updated_at=now,
                deleted_at=deleted_at, merged_into=record.merged_into or (row["merged_into"] if row else None),
                refs=[{"system": r.system, "object": r.object, "external_id": r.external_id} for r in active],
            )
            for event_type in types:
                events.append(NewEvent(event_type, entity.name, record.id, version, document,
                                       changes if action == "updated" else None))
            outcome[record.id] = (action, version, changes, types)

        if inserts:
            self.conn.execute(insert(self.table), inserts)
        if updates:
            columns: dict[str, Any] = {k: bindparam(k) for k in updates[0] if k != "_id"}
            self.conn.execute(update(self.table).where(self.table.c.id == bindparam("_id")).values(columns),
                              updates)
        self._write_refs()
        if versions:
            self.conn.execute(insert(VERSIONS), versions)
        self._write_keys(key_rewrites)
        if self.matches:
            self.conn.execute(insert(MATCHES), self.matches)
        if self.merges:
            self.conn.execute(insert(MERGES), self.merges)
        append_events(self.conn, events, now=now)
        return outcome

    def _write_refs(self) -> None:
        new_refs: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for ref in self.refs.values():
            if not ref.dirty:
                continue
            values = {"record_id": ref.record_id, "fields": ref.fields, "fields_hash": ref.fields_hash,
                      "raw": ref.raw, "updated_at": ref.updated_at, "deleted_at": ref.deleted_at,
                      "mapping": ref.mapping, "mapping_hash": ref.mapping_hash}
            if ref.id is None:
                new_refs.append({**values, "entity": self.entity.name, "system": ref.system,
                                 "object": ref.object, "external_id": ref.external_id,
                                 "created_at": ref.created_at})
            else:
                changed.append({**values, "_id": ref.id})
        if new_refs:
            self.conn.execute(insert(REFS), new_refs)
        if changed:
            columns: dict[str, Any] = {k: bindparam(k) for k in changed[0] if k != "_id"}
            self.conn.execute(update(REFS).where(REFS.c.id == bindparam("_id")).values(columns), changed)

    def _write_keys(self, rewrites: dict[str, set[Key]]) -> None:
        stale = [rid for rid, keys in rewrites.items() if keys != self.records[rid].keys]
        if not stale:
            return
        for chunk in chunks(stale):
            self.conn.execute(delete(KEYS).where(KEYS.c.record_id.in_(chunk)))
        rows = [
            {"entity": self.entity.name, "record_id": rid, "kind": kind, "value": value}
            for rid in stale
            for kind, value in sorted(rewrites[rid])
        ]
        if rows:
            self.conn.execute(insert(KEYS), rows)


def _row_fields(entity: Entity, row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in entity.field_names}


