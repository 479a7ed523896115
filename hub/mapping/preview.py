"""Trying a mapping on sample records: one JSON-ready result per record; a bad record never stops the run.

Used by ``hub mappings preview``, ``POST /api/v1/mappings/preview`` and the console::

    preview_records(mapping, parse_records(text))                  # lookups left as {"$lookup": ...}
    preview_records(mapping, records, resolver=StoreResolver(conn))
    preview_records(mapping, canonical_records, reverse=True)

Forward results are ``{"index", "id", "ok": true, "fields"}`` or ``{"index", "id",
"ok": false, "error": {"field", "value", "reason", "message"}}``; reverse results are
``{"index", "ok": true, "vendor", "not_reversed"}`` or the same error shape. A record
is ``ok`` only if the canonical model accepts its fields too, as the store would.
Values are JSON: decimals as text, times as ISO 8601.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, time
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from hub.errors import InvalidRequestError, MappingError
from hub.mapping.lookups import LookupResolver
from hub.mapping.mapping import Mapping, MappingResult, mask_value
from hub.store.entities import get_entity

_LOOKUP_PLACEHOLDER = "lookup"  # stands in for an unresolved lookup when checking against the model


def parse_records(text: str) -> list[Any]:
    """Records from a JSON array, a single JSON object, or JSON Lines (one record per line)."""
    stripped = text.strip()
    if not stripped:
        raise InvalidRequestError("no records: give a JSON array of records, one JSON object, or JSON Lines")
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise InvalidRequestError(f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
        return _json_lines(stripped)
    return data if isinstance(data, list) else [data]


def _json_lines(text: str) -> list[Any]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InvalidRequestError(
                f"not JSON Lines: line {number}: {exc.msg} (column {exc.colno}); "
                "give a JSON array, one object, or one JSON object per line"
            ) from None
    return records


def preview_records(
    mapping: Mapping, records: Sequence[Any], *, reverse: bool = False, resolver: LookupResolver | None = None
) -> list[dict[str, Any]]:
    """Map (or, with ``reverse``, push-map) every record; ``resolver=None`` leaves lookups unresolved."""
    if reverse:
        return [_reverse_one(mapping, index, record, resolver) for index, record in enumerate(records)]
    results = mapping.apply_many(records, resolver, resolve=resolver is not None)
    return [_forward_one(mapping, result) for result in results]


def _forward_one(mapping: Mapping, result: MappingResult) -> dict[str, Any]:
    head = {"index": result.index, "id": result.external_id}
    if result.error is not None:
        return {**head, "ok": False, "error": error_body(result.error)}
    assert result.fields is not None
    refused = _model_refusal(mapping, result.external_id, result.fields)
    if refused is not None:
        return {**head, "ok": False, "error": error_body(refused)}
    return {**head, "ok": True, "fields": jsonable(result.fields)}


def _reverse_one(mapping: Mapping, index: int, record: Any, resolver: LookupResolver | None) -> dict[str, Any]:
    if not isinstance(record, dict):
        error = MappingError(f"mapping {mapping.name}: push: a canonical record is a JSON object",
                             mapping=mapping.name, reason="not a JSON object", value=jsonable(record))
        return {"index": index, "ok": False, "error": error_body(error)}
    try:
        vendor = mapping.reverse(record, resolver, resolve=resolver is not None)
    except MappingError as exc:
        return {"index": index, "ok": False, "error": error_body(exc)}
    return {"index": index, "ok": True, "vendor": jsonable(vendor), "not_reversed": list(mapping.not_reversed)}


def error_body(error: MappingError) -> dict[str, Any]:
    return {"field": error.field, "value": jsonable(error.value), "reason": error.reason, "message": error.message}


def _model_refusal(mapping: Mapping, record_id: str | None, fields: dict[str, Any]) -> MappingError | None:
    """The first field the canonical model refuses (the store would reject the record), if any."""
    try:
        get_entity(mapping.entity).validate(_without_markers(fields))
    except ValidationError as exc:
        first = exc.errors()[0]
        location = list(first["loc"])
        field = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p))
                        for i, p in enumerate(location))
        value = mask_value(field, _at(fields, location))
        reason = f"the canonical model refuses it: {first['msg']}"
        return MappingError(
            f"mapping {mapping.name}: record {record_id or '?'}: field {field}: {reason} (value: {value!r})",
            mapping=mapping.name, record_id=record_id, field=field, value=value, reason=reason,
        )
    return None


def _without_markers(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$lookup"}:
            return _LOOKUP_PLACEHOLDER
        return {k: _without_markers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_markers(v) for v in value]
    return value


def _at(value: Any, location: Sequence[Any]) -> Any:
    for part in location:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return None
    return value


def jsonable(value: Any) -> Any:
    """``value`` with decimals as text, dates and times as ISO 8601, tuples and sets as lists."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


__all__ = ["error_body", "jsonable", "parse_records", "preview_records"]
