"""Turning fields into their canonical JSON form, hashing it, and rendering record documents."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from hub.db.types import iso_utc
from hub.errors import RecordInvalidError
from hub.store.entities import Entity


def canonical_json(entity: Entity, fields: Mapping[str, Any], *, where: str = "") -> dict[str, Any]:
    """Validate partial canonical fields and return their JSON form (only the keys given).

    Raises RecordInvalidError naming every bad field and why.
    """
    try:
        model = entity.validate(fields)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"]), "reason": err["msg"]} for err in exc.errors()
        ]
        summary = "; ".join(f"{p['field']}: {p['reason']}" for p in problems)
        raise RecordInvalidError(
            f"{where or entity.name} has invalid canonical fields: {summary}",
            details={"entity": entity.name, "problems": problems},
        ) from None
    return model.model_dump(mode="json", exclude_unset=True)


def full_json(entity: Entity, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of the entity, None where absent: the form that is hashed and versioned."""
    return {name: fields.get(name) for name in entity.field_names}


def content_hash(data: Mapping[str, Any]) -> str:
    encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def json_from_row(entity: Entity, row: Mapping[str, Any]) -> dict[str, Any]:
    """Read a table row's field columns back into the canonical JSON form."""
    model = entity.fields_model.model_validate({name: row[name] for name in entity.field_names})
    return full_json(entity, model.model_dump(mode="json"))


def row_values(entity: Entity, data: Mapping[str, Any]) -> dict[str, Any]:
    """Typed column values (Decimal, aware datetime) for a canonical JSON document."""
    model = entity.fields_model.model_validate(data)
    values = model.model_dump()
    for name in entity.json_fields:
        values[name] = data.get(name)
    return values


def record_document(
    entity: Entity,
    record_id: str,
    data: Mapping[str, Any],
    *,
    version: int,
    created_at: datetime,
    updated_at: datetime,
    deleted_at: datetime | None,
    merged_into: str | None,
    refs: Iterable[Mapping[str, Any]],
) -> dict[str, Any]:
    """The record as the API returns it and events carry it."""
    doc: dict[str, Any] = {"id": record_id, "entity": entity.name}
    doc.update(data)
    doc.update(
        version=version,
        created_at=iso_utc(created_at),
        updated_at=iso_utc(updated_at),
        deleted_at=iso_utc(deleted_at) if deleted_at else None,
        refs=[dict(r) for r in refs],
    )
    if merged_into:
        doc["merged_into"] = merged_into
    return doc

