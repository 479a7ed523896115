"""Quarantined records: what a sync could not store, kept with the raw record and why.

Each record has at most one pending entry: failing again updates it (``occurrences``)
instead of piling up one per run. An entry leaves ``pending`` when it is retried
successfully (``hub quarantine retry``, or a later sync lands the same record) or
discarded. Retrying lives in :mod:`hub.sync.retry`; this module stores and lists.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, insert, select, update

from hub.db.paging import newest_first
from hub.db.types import iso_utc, utcnow
from hub.errors import ConflictError, MappingError, NotFoundError, RecordInvalidError
from hub.ids import new_id
from hub.logs import mask_personal_data
from hub.mapping.mapping import mask_value
from hub.sync.tables import QuarantinedRecordRow

QUARANTINE = QuarantinedRecordRow.__table__  # type: ignore[attr-defined]
_CHUNK = 500

ErrorKind = Literal["mapping", "record", "vendor"]


@dataclass(frozen=True)
class QuarantineError:
    """Why a record was quarantined: which part of the hub refused it, the field, and the reason."""

    kind: ErrorKind  # mapping: the mapping failed; record: the store refused the fields; vendor: the system did
    message: str
    field: str | None = None
    value: Any = None  # masked when personal (phones, e-mails, addresses)
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "field": self.field, "value": _jsonable(self.value), "reason": self.reason,
                "message": self.message}

    @classmethod
    def from_mapping(cls, error: MappingError) -> QuarantineError:
        # The mapping already masked the value and the reason.
        return cls("mapping", error.message, error.field, error.value, error.reason)

    @classmethod
    def from_record(cls, error: RecordInvalidError, fields: dict[str, Any] | None) -> QuarantineError:
        problems = error.details.get("problems") if isinstance(error.details, dict) else None
        field = reason = None
        if problems:
            field, reason = str(problems[0]["field"]), str(problems[0]["reason"])
        value = mask_value(field, _at(fields, field)) if field and fields else None
        return cls("record", mask_personal_data(error.message), field, value, reason)


@dataclass(frozen=True)
class NewEntry:
    """A record to quarantine, as the engine found it."""

    external_id: str | None
    raw: Any
    error: QuarantineError


@dataclass(frozen=True)
class Source:
    """Where quarantined records came from: the connector, its stream, and what they were meant to become."""

    connector: str
    stream: str
    entity: str
    system: str
    mapping: str | None


def raw_hash(raw: Any) -> str:
    encoded = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def quarantine(
    conn: Connection, source: Source, entries: Sequence[NewEntry], *, run_id: str | None, now: datetime | None = None
) -> None:
    """Add (or refresh the pending entry of) each record, in the caller's transaction."""
    if not entries:
        return
    now = now or utcnow()
    pending = _pending_keys(conn, source, entries)
    inserts: list[dict[str, Any]] = []
    for entry in entries:
        digest = raw_hash(entry.raw)
        key = entry.external_id if entry.external_id is not None else f"#{digest}"
        existing = pending.get(key)
        if existing is not None:
            conn.execute(
                update(QUARANTINE)
                .where(QUARANTINE.c.id == existing)
                .values(raw=entry.raw, raw_hash=digest, error=entry.error.as_json(), mapping=source.mapping,
                        occurrences=QUARANTINE.c.occurrences + 1, run_id=run_id, updated_at=now)
            )
            continue
        entry_id = new_id("qr")
        pending[key] = entry_id  # the same record twice in one page: one entry
        inserts.append({
            "id": entry_id, "connector": source.connector, "stream": source.stream, "entity": source.entity,
            "system": source.system, "mapping": source.mapping, "external_id": entry.external_id, "raw": entry.raw,
            "raw_hash": digest, "error": entry.error.as_json(), "status": "pending", "occurrences": 1,
            "run_id": run_id, "created_at": now, "updated_at": now, "resolved_at": None, "resolved_by": None,
        })
    if inserts:
        conn.execute(insert(QUARANTINE), inserts)


def _pending_keys(conn: Connection, source: Source, entries: Sequence[NewEntry]) -> dict[str, str]:
    """``external id (or #raw hash) -> entry id`` of the pending entries these records already have."""
    found: dict[str, str] = {}
    base = select(QUARANTINE.c.id, QUARANTINE.c.external_id, QUARANTINE.c.raw_hash).where(
        QUARANTINE.c.connector == source.connector, QUARANTINE.c.stream == source.stream,
        QUARANTINE.c.status == "pending",
    )
    ids = sorted({e.external_id for e in entries if e.external_id is not None})
    for chunk in _chunks(ids):
        for entry_id, external_id, _digest in conn.execute(base.where(QUARANTINE.c.external_id.in_(chunk))):
            found[str(external_id)] = str(entry_id)
    digests = sorted({raw_hash(e.raw) for e in entries if e.external_id is None})
    for chunk in _chunks(digests):
        query = base.where(QUARANTINE.c.external_id.is_(None), QUARANTINE.c.raw_hash.in_(chunk))
        for entry_id, _external_id, digest in conn.execute(query):
            found[f"#{digest}"] = str(entry_id)
    return found


def has_pending(conn: Connection, connector: str, stream: str) -> bool:
    query = select(QUARANTINE.c.id).where(
        QUARANTINE.c.connector == connector, QUARANTINE.c.stream == stream, QUARANTINE.c.status == "pending"
    ).limit(1)
    return conn.execute(query).first() is not None


def settle_landed(
    conn: Connection, connector: str, stream: str, external_ids: Iterable[str], *, by: str, now: datetime | None = None
) -> int:
    """Pending entries of records that have now been stored (a later sync brought them in good shape)."""
    count = 0
    for chunk in _chunks(sorted(set(external_ids))):
        count += conn.execute(
            update(QUARANTINE)
            .where(QUARANTINE.c.connector == connector, QUARANTINE.c.stream == stream,
                   QUARANTINE.c.status == "pending", QUARANTINE.c.external_id.in_(chunk))
            .values(status="retried", resolved_at=now or utcnow(), resolved_by=by)
        ).rowcount
    return count


def get_entry(conn: Connection, entry_id: str) -> dict[str, Any]:
    row = conn.execute(select(QUARANTINE).where(QUARANTINE.c.id == entry_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no quarantined record {entry_id!r}")
    return entry_document(dict(row))


def list_entries(
    conn: Connection,
    *,
    connector: str | None = None,
    status: str | None = "pending",
    before: str | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first; ``before`` is the last id of the previous page."""
    return newest_first(conn, QUARANTINE, filters={"connector": connector, "status": status}, before=before,
                        limit=limit, document=entry_document)


def pending_ids(conn: Connection, *, connector: str | None = None) -> list[str]:
    query = select(QUARANTINE.c.id).where(QUARANTINE.c.status == "pending").order_by(QUARANTINE.c.id)
    if connector:
        query = query.where(QUARANTINE.c.connector == connector)
    return [str(v) for v in conn.execute(query).scalars()]


def discard(conn: Connection, entry_id: str, *, actor: str, now: datetime | None = None) -> dict[str, Any]:
    """Give up on a pending record (it stays listed as discarded)."""
    entry = get_entry(conn, entry_id)
    if entry["status"] != "pending":
        raise ConflictError(f"quarantined record {entry_id} is already {entry['status']}",
                            details={"status": entry["status"]})
    mark_resolved(conn, entry_id, "discarded", actor=actor, now=now)
    return get_entry(conn, entry_id)


def mark_resolved(conn: Connection, entry_id: str, status: str, *, actor: str, now: datetime | None = None) -> None:
    conn.execute(
        update(QUARANTINE)
        .where(QUARANTINE.c.id == entry_id)
        .values(status=status, resolved_at=now or utcnow(), resolved_by=actor)
    )


def record_failure(conn: Connection, entry_id: str, error: QuarantineError, *, now: datetime | None = None) -> None:
    """A retry failed again: keep the entry pending with the new reason."""
    conn.execute(
        update(QUARANTINE)
        .where(QUARANTINE.c.id == entry_id)
        .values(error=error.as_json(), occurrences=QUARANTINE.c.occurrences + 1, updated_at=now or utcnow())
    )


def entry_document(row: dict[str, Any]) -> dict[str, Any]:
    doc = dict(row)
    for key in ("created_at", "updated_at", "resolved_at"):
        doc[key] = iso_utc(doc[key]) if doc.get(key) else None
    return doc


def _at(fields: dict[str, Any], path: str) -> Any:
    """The value at a validation error's location (``lines.0.qty``), or None."""
    value: Any = fields
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return None if isinstance(value, dict | list) else value


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return str(value)


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield list(items[start : start + _CHUNK])
