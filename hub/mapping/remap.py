"""Re-applying a changed mapping to the raw records the store already holds (``hub remap``).

Every source ref remembers the mapping (name and hash) that produced its fields.
``remap`` maps the stored raw records of the refs whose hash is stale (or all of
them) again, a batch per transaction, and writes them through the store's one upsert
path: a record whose canonical fields come out the same gets no new version and no
event; one that changes gets a version and an ``<entity>.updated`` event like any
sync would give. Records the mapping now fails on are reported and left as they are.
Deleted (tombstoned) refs are not touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, or_, select

from hub.errors import HubError
from hub.mapping.lookups import StoreResolver
from hub.mapping.mapping import Mapping
from hub.store.rules import StoreRules
from hub.store.tables import RecordRef
from hub.store.upsert import SourceRecord, upsert_records

REFS = RecordRef.__table__  # type: ignore[attr-defined]
BATCH_SIZE = 500


@dataclass(frozen=True)
class RemapFailure:
    """A stored record the mapping cannot map (it is left unchanged)."""

    system: str
    object: str
    external_id: str
    record_id: str
    field: str | None
    reason: str
    message: str


@dataclass(frozen=True)
class RemapChange:
    """A record that got (or, on a dry run, would get) a new version."""

    system: str
    object: str
    external_id: str
    record_id: str
    version: int | None
    changed: tuple[str, ...]  # canonical fields whose value changed


@dataclass
class RemapSummary:
    mapping: str
    hash: str
    dry_run: bool
    examined: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[RemapFailure] = field(default_factory=list)
    changes: list[RemapChange] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)


def remap(
    engine: Engine,
    mapping: Mapping,
    rules: StoreRules | None = None,
    *,
    everything: bool = False,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
) -> RemapSummary:
    """Re-map the stored raw records of ``mapping``'s refs whose mapping hash is stale (``everything``: all).

    One transaction per batch; ``dry_run`` does the same work and rolls each batch back.
    """
    summary = RemapSummary(mapping.name, mapping.hash, dry_run)
    after = 0
    while True:
        with engine.connect() as conn, conn.begin() as transaction:
            rows = _stale_refs(conn, mapping, after, batch_size, everything=everything)
            if rows:
                _remap_batch(conn, mapping, rules, rows, summary)
            if dry_run:
                transaction.rollback()
        if len(rows) < batch_size:
            return summary
        after = rows[-1]["id"]


def _stale_refs(
    conn: Connection, mapping: Mapping, after: int, limit: int, *, everything: bool
) -> list[dict[str, Any]]:
    query = select(
        REFS.c.id, REFS.c.entity, REFS.c.record_id, REFS.c.system, REFS.c.object, REFS.c.external_id, REFS.c.raw
    ).where(REFS.c.mapping == mapping.name, REFS.c.deleted_at.is_(None), REFS.c.id > after)
    if not everything:
        query = query.where(or_(REFS.c.mapping_hash.is_(None), REFS.c.mapping_hash != mapping.hash))
    # FOR UPDATE (PostgreSQL): a sync writing one of these refs waits for this batch, or this batch reads its result.
    query = query.order_by(REFS.c.id).limit(limit).with_for_update()
    return [dict(row) for row in conn.execute(query).mappings()]


def _remap_batch(
    conn: Connection, mapping: Mapping, rules: StoreRules | None, rows: list[dict[str, Any]], summary: RemapSummary
) -> None:
    summary.examined += len(rows)
    mappable = []
    for row in rows:
        reason = _cannot_remap(mapping, row)
        if reason is None:
            mappable.append(row)
        else:
            summary.failures.append(_failure(row, None, reason, f"{_source(row)}: {reason}"))
    results = mapping.apply_many([row["raw"] for row in mappable], StoreResolver(conn))
    to_write: list[tuple[dict[str, Any], SourceRecord]] = []
    for row, result in zip(mappable, results, strict=True):
        if result.error is not None:
            error = result.error
            summary.failures.append(_failure(row, error.field, error.reason or "failed", error.message))
        elif result.external_id != row["external_id"]:
            reason = (f"the mapping's id path now gives {result.external_id!r}, but the record is stored as "
                      f"{row['external_id']!r}; re-sync the source instead")
            summary.failures.append(_failure(row, "id", reason, f"{_source(row)}: {reason}"))
        else:
            assert result.fields is not None
            to_write.append((row, SourceRecord(
                row["system"], row["object"], row["external_id"], result.fields, row["raw"],
                mapping=mapping.name, mapping_hash=mapping.hash,
            )))
    if not to_write:
        return
    written = upsert_records(conn, mapping.entity, [record for _, record in to_write], rules)
    for (row, _record), outcome in zip(to_write, written, strict=True):
        if outcome.action == "rejected":
            refusal: HubError | None = outcome.error
            message = refusal.message if refusal is not None else "the store rejected the fields"
            summary.failures.append(_failure(row, None, message, f"{_source(row)}: {message}"))
        elif outcome.action in ("updated", "created"):
            summary.updated += 1
            summary.changes.append(RemapChange(
                row["system"], row["object"], row["external_id"], outcome.record_id or row["record_id"],
                outcome.version, tuple(name for name in outcome.changes if name != "deleted_at"),
            ))
        else:
            summary.unchanged += 1


def _cannot_remap(mapping: Mapping, row: dict[str, Any]) -> str | None:
    if row["entity"] != mapping.entity:
        return f"stored as a {row['entity']}, but the mapping now makes {mapping.entity} records"
    if row["raw"] is None:
        return "no raw record is stored for it; re-sync the source instead"
    return None


def _source(row: dict[str, Any]) -> str:
    return f"{row['system']}/{row['object']}/{row['external_id']}"


def _failure(row: dict[str, Any], field_name: str | None, reason: str, message: str) -> RemapFailure:
    return RemapFailure(row["system"], row["object"], row["external_id"], row["record_id"], field_name, reason,
                        message)


__all__ = ["BATCH_SIZE", "RemapChange", "RemapFailure", "RemapSummary", "remap"]
