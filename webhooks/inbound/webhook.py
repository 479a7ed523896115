"""The ``webhook`` channel's processor: a source's payload -> its mapping -> the store (and its events).

A message's body is one vendor record (a JSON object) or a list of them. The source's
``mapping`` turns each into canonical fields; they are stored with ``system`` = the
source's name and ``object`` = the mapping's object. Messages of a batch are mapped a
source at a time and stored with one upsert per entity, in the order they arrived; a
record that appears in several messages of the batch is stored once per message, so
every change keeps its own version and events (created, then confirmed).

A message is quarantined when its source or mapping is missing or broken, a record
does not map, or the store refuses the fields. Replaying it after the fix runs it
again (storing is idempotent, so records that did land are not changed twice).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from hub.errors import HubError, RecordInvalidError
from hub.mapping.lookups import StoreResolver
from hub.mapping.mapping import Mapping
from hub.store.upsert import SourceRecord, upsert_records
from hub.sync.quarantine import QuarantineError
from webhooks.inbound.context import ProcessingContext
from webhooks.inbound.processing import Outcome, StoredMessage, processed, quarantined


@dataclass
class _Work:
    """One message on its way through: its records, then what the store did with each."""

    message: StoredMessage
    mapping: Mapping | None = None
    raws: list[Any] = field(default_factory=list)
    fields: list[dict[str, Any]] = field(default_factory=list)
    external_ids: list[str] = field(default_factory=list)
    stored: list[dict[str, Any]] = field(default_factory=list)
    failure: Outcome | None = None


def process_webhooks(
    conn: Connection, messages: Sequence[StoredMessage], context: ProcessingContext
) -> list[Outcome]:
    work = [_prepare(message, context) for message in messages]
    _map(conn, [w for w in work if w.failure is None])
    _store(conn, [w for w in work if w.failure is None], context)
    return [w.failure or processed(w.message.id, {"records": w.stored}) for w in work]


def _prepare(message: StoredMessage, context: ProcessingContext) -> _Work:
    work = _Work(message)
    source = context.workspace.config.sources.get(message.source)
    if source is None:
        work.failure = quarantined(message.id, "config", f"source {message.source!r} is no longer in hub.yaml")
        return work
    try:
        work.mapping = context.mappings.get(source.mapping).mapping
    except HubError as exc:
        work.failure = quarantined(message.id, "config", f"source {message.source}: {exc.message}")
        return work
    try:
        payload = json.loads(message.body)
    except ValueError:
        work.failure = quarantined(message.id, "payload", "the body is not JSON")
        return work
    work.raws = payload if isinstance(payload, list) else [payload]
    if not work.raws:
        work.failure = quarantined(message.id, "payload", "the body is an empty list: no record to store")
    return work


def _map(conn: Connection, work: list[_Work]) -> None:
    """Map every record, a mapping at a time (lookups take one query per mapping, not per message)."""
    by_mapping: dict[str, list[_Work]] = {}
    for item in work:
        assert item.mapping is not None
        by_mapping.setdefault(item.mapping.name, []).append(item)
    resolver = StoreResolver(conn)
    for items in by_mapping.values():
        mapping = items[0].mapping
        assert mapping is not None
        results = iter(mapping.apply_many([raw for item in items for raw in item.raws], resolver))
        for item in items:
            for result in [next(results) for _ in item.raws]:
                if result.error is not None:
                    if item.failure is None:
                        item.failure = _failed(item, QuarantineError.from_mapping(result.error), result.external_id)
                    continue
                assert result.fields is not None
                assert result.external_id is not None
                item.fields.append(result.fields)
                item.external_ids.append(result.external_id)


def _store(conn: Connection, work: list[_Work], context: ProcessingContext) -> None:
    """Upsert per entity in rounds: a record already stored in this round waits for the next."""
    pending = [(item, index) for item in work for index in range(len(item.fields))]
    while pending:
        seen: set[tuple[str, str, str, str]] = set()
        this_round: dict[str, list[tuple[_Work, int]]] = {}
        later: list[tuple[_Work, int]] = []
        for item, index in pending:
            assert item.mapping is not None
            key = (item.mapping.entity, item.message.source, item.mapping.object, item.external_ids[index])
            if key in seen:
                later.append((item, index))
                continue
            seen.add(key)
            this_round.setdefault(item.mapping.entity, []).append((item, index))
        for entity, entries in this_round.items():
            records = [_source_record(item, index) for item, index in entries]
            results = upsert_records(conn, entity, records, context.workspace.store_rules, now=context.now)
            for (item, index), result in zip(entries, results, strict=True):
                if result.action == "rejected":
                    if item.failure is None:
                        item.failure = _failed(item, _refused(result.error, item.fields[index]),
                                               item.external_ids[index])
                    continue
                item.stored.append({"entity": entity, "id": result.record_id, "external_id": result.external_id,
                                    "action": result.action, "version": result.version})
        pending = later


def _source_record(item: _Work, index: int) -> SourceRecord:
    mapping = item.mapping
    assert mapping is not None
    raw = item.raws[index]  # every record of the message mapped (else it is quarantined), so they line up
    return SourceRecord(item.message.source, mapping.object, item.external_ids[index], item.fields[index],
                        raw=raw if isinstance(raw, dict) else None, mapping=mapping.name, mapping_hash=mapping.hash)


def _refused(error: HubError | None, fields: dict[str, Any]) -> QuarantineError:
    if isinstance(error, RecordInvalidError):
        return QuarantineError.from_record(error, fields)
    return QuarantineError("record", error.message if error else "the store refused the record")


def _failed(item: _Work, error: QuarantineError, external_id: str | None) -> Outcome:
    return quarantined(item.message.id, error.kind, error.message, field=error.field, value=error.as_json()["value"],
                       reason=error.reason, external_id=external_id)
