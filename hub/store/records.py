"""Reading canonical records: by id, through the crosswalk, and as filtered pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, or_, select

from hub.db.paging import MAX_PAGE
from hub.db.types import iso_utc
from hub.errors import NotFoundError
from hub.store.documents import json_from_row, record_document
from hub.store.entities import Entity, get_entity
from hub.store.tables import IdentityMatch, MergeHistory, RecordRef, RecordVersion

REFS = RecordRef.__table__  # type: ignore[attr-defined]
VERSIONS = RecordVersion.__table__  # type: ignore[attr-defined]
MATCHES = IdentityMatch.__table__  # type: ignore[attr-defined]
MERGES = MergeHistory.__table__  # type: ignore[attr-defined]



@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def get_record(conn: Connection, entity_name: str, record_id: str, *, with_raw: bool = False) -> dict[str, Any]:
    """The record document; raises NotFoundError. Merged records are returned with ``merged_into``."""
    entity = get_entity(entity_name)
    row = conn.execute(select(entity.table).where(entity.table.c.id == record_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no {entity.name} with id {record_id!r}", details={"entity": entity.name})
    return _documents(conn, entity, [dict(row)], with_raw=with_raw)[0]


def find_by_ref(
    conn: Connection, entity_name: str, system: str, external_id: str, object_name: str | None = None
) -> dict[str, Any] | None:
    """The record a system's id points at, through the crosswalk (tombstoned refs included)."""
    entity = get_entity(entity_name)
    query = select(REFS.c.record_id).where(
        REFS.c.entity == entity.name, REFS.c.system == system, REFS.c.external_id == external_id
    )
    if object_name:
        query = query.where(REFS.c.object == object_name)
    record_id = conn.execute(query.limit(1)).scalar()
    return get_record(conn, entity.name, record_id) if record_id else None


def resolve_refs(
    conn: Connection, entity_name: str, system: str, external_ids: Sequence[str]
) -> dict[str, str]:
    """Map many external ids of one system to canonical ids in one query (for mapping lookups)."""
    found: dict[str, str] = {}
    ids = list(dict.fromkeys(external_ids))
    for start in range(0, len(ids), 500):
        query = select(REFS.c.external_id, REFS.c.record_id).where(
            REFS.c.entity == entity_name,
            REFS.c.system == system,
            REFS.c.external_id.in_(ids[start : start + 500]),
        )
        found.update({str(ext): str(rid) for ext, rid in conn.execute(query)})
    return found


def list_records(
    conn: Connection,
    entity_name: str,
    *,
    q: str | None = None,
    status: str | None = None,
    customer_id: str | None = None,
    updated_since: datetime | None = None,
    include_deleted: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """A page of records in id order (ids sort by creation time); ``cursor`` is the last id seen."""
    entity = get_entity(entity_name)
    table = entity.table
    limit = max(1, min(limit, MAX_PAGE))
    query = select(table).order_by(table.c.id).limit(limit + 1)
    if q:
        pattern = f"%{_escape_like(q)}%"
        query = query.where(or_(*(table.c[f].ilike(pattern, escape="\\") for f in entity.search_fields)))
    if status is not None and "status" in table.c:
        query = query.where(table.c.status == status)
    if customer_id is not None and "customer_id" in table.c:
        query = query.where(table.c.customer_id == customer_id)
    if updated_since is not None:
        query = query.where(table.c.updated_at >= updated_since)
    if not include_deleted:
        query = query.where(table.c.deleted_at.is_(None))
    if cursor:
        query = query.where(table.c.id > cursor)
    rows = [dict(row) for row in conn.execute(query).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(_documents(conn, entity, rows), rows[-1]["id"] if more else None)


def record_versions(conn: Connection, entity_name: str, record_id: str) -> list[dict[str, Any]]:
    """Every version of a record, oldest first, with the fields that changed."""
    entity = get_entity(entity_name)
    query = (
        select(VERSIONS)
        .where(VERSIONS.c.entity == entity.name, VERSIONS.c.record_id == record_id)
        .order_by(VERSIONS.c.version)
    )
    return [
        {
            "version": row["version"],
            "data": row["data"],
            "changes": row["changes"],
            "source_system": row["source_system"],
            "created_at": iso_utc(row["created_at"]),
        }
        for row in conn.execute(query).mappings()
    ]


def list_identity_matches(
    conn: Connection, *, status: str | None = "pending", limit: int = 100
) -> list[dict[str, Any]]:
    query = select(MATCHES).order_by(MATCHES.c.created_at, MATCHES.c.id).limit(max(1, min(limit, MAX_PAGE)))
    if status:
        query = query.where(MATCHES.c.status == status)
    return [identity_match_document(dict(row)) for row in conn.execute(query).mappings()]


def identity_match_document(row: Mapping[str, Any]) -> dict[str, Any]:
    doc = dict(row)
    for key in ("created_at", "resolved_at"):
        doc[key] = iso_utc(doc[key]) if doc.get(key) else None
    return doc


def merge_history(conn: Connection, record_id: str) -> list[dict[str, Any]]:
    query = (
        select(MERGES)
        .where(or_(MERGES.c.survivor_id == record_id, MERGES.c.merged_id == record_id))
        .order_by(MERGES.c.id)
    )
    return [
        {**{k: v for k, v in row.items() if k != "created_at"}, "created_at": iso_utc(row["created_at"])}
        for row in conn.execute(query).mappings()
    ]


def _documents(
    conn: Connection, entity: Entity, rows: Sequence[Mapping[str, Any]], *, with_raw: bool = False
) -> list[dict[str, Any]]:
    refs_by_record: dict[str, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    if rows:
        query = (
            select(REFS)
            .where(REFS.c.entity == entity.name, REFS.c.record_id.in_(list(refs_by_record)))
            .order_by(REFS.c.id)
        )
        for ref in conn.execute(query).mappings():
            doc: dict[str, Any] = {"system": ref["system"], "object": ref["object"], "external_id": ref["external_id"]}
            if ref["deleted_at"] is not None:
                doc["deleted_at"] = iso_utc(ref["deleted_at"])
            if with_raw:
                doc["updated_at"] = iso_utc(ref["updated_at"])
                doc["raw"] = ref["raw"]
            refs_by_record[ref["record_id"]].append(doc)
    return [
        record_document(
            entity,
            row["id"],
            json_from_row(entity, row),
            version=row["version"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            deleted_at=row["deleted_at"],
            merged_into=row["merged_into"],
            refs=refs_by_record[row["id"]],
        )
        for row in rows
    ]


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")



def external_ids_for(
    conn: Connection, entity_name: str, system: str, record_ids: Sequence[str]
) -> dict[str, str]:
    """Map canonical ids to one system's ids (live refs only), in one query per 500 ids (for pushes)."""
    found: dict[str, str] = {}
    ids = list(dict.fromkeys(record_ids))
    for start in range(0, len(ids), 500):
        query = (
            select(REFS.c.record_id, REFS.c.external_id)
            .where(
                REFS.c.entity == entity_name,
                REFS.c.system == system,
                REFS.c.deleted_at.is_(None),
                REFS.c.record_id.in_(ids[start : start + 500]),
            )
            .order_by(REFS.c.id)
        )
        for record_id, external_id in conn.execute(query):
            found.setdefault(str(record_id), str(external_id))
    return found
