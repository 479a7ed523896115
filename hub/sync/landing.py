"""Landing raw records in the store: map, attach, upsert; every record that fails says why.

Used for each page of a sync and for quarantine retries, inside the caller's
transaction. Nothing here commits: the engine commits a page's records together
with its quarantined records and the stream state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from hub.errors import RecordInvalidError
from hub.mapping.lookups import StoreResolver
from hub.mapping.mapping import MappingResult
from hub.store.rules import StoreRules
from hub.store.tables import RecordRef
from hub.store.upsert import SourceRecord, upsert_records
from hub.sync.plan import StreamPlan
from hub.sync.quarantine import NewEntry, QuarantineError
from hub.sync.runs import RunCounts

REFS = RecordRef.__table__  # type: ignore[attr-defined]
_CHUNK = 500


@dataclass
class Landing:
    """What became of a batch of raw records."""

    counts: RunCounts = field(default_factory=RunCounts)
    quarantined: list[NewEntry] = field(default_factory=list)
    landed: list[str] = field(default_factory=list)  # external ids now stored
    seen: list[str] = field(default_factory=list)  # external ids read, stored or not (the source has them)
    unidentified: int = 0  # records without an id: a full run cannot tell what is missing


def land(
    conn: Connection, plan: StreamPlan, raws: Sequence[Any], rules: StoreRules, *, now: datetime
) -> Landing:
    landing = Landing()
    landing.counts.read = len(raws)
    mapped = plan.mapping.apply_many(raws, StoreResolver(conn))
    good: list[MappingResult] = []
    for result in mapped:
        if result.external_id is None:
            landing.unidentified += 1
        else:
            landing.seen.append(result.external_id)
        if result.error is not None:
            landing.quarantined.append(
                NewEntry(result.external_id, result.raw, QuarantineError.from_mapping(result.error)))
        else:
            good.append(result)

    targets = _attach_targets(conn, plan, [r.external_id for r in good if r.external_id is not None])
    sources: list[tuple[MappingResult, SourceRecord]] = []
    for result in good:
        assert result.external_id is not None
        assert result.fields is not None
        target = None
        if plan.spec.attach_to_object is not None:
            target = targets.get(result.external_id)
            if target is None:
                landing.quarantined.append(NewEntry(result.external_id, result.raw, _no_target(plan, result)))
                continue
        sources.append((result, SourceRecord(
            plan.system, plan.object, result.external_id, result.fields, raw=result.raw,
            mapping=plan.mapping.name, mapping_hash=plan.mapping.hash, attach_to=target,
        )))

    outcomes = upsert_records(conn, plan.entity, [s for _, s in sources], rules, now=now) if sources else []
    for (result, source), outcome in zip(sources, outcomes, strict=True):
        if outcome.action == "rejected":
            error = outcome.error
            reason = (QuarantineError.from_record(error, result.fields) if isinstance(error, RecordInvalidError)
                      else QuarantineError("record", error.message if error else "the store refused the record"))
            landing.quarantined.append(NewEntry(source.external_id, result.raw, reason))
            continue
        setattr(landing.counts, outcome.action, getattr(landing.counts, outcome.action) + 1)
        landing.landed.append(source.external_id)
    landing.counts.quarantined = len(landing.quarantined)
    return landing


def _attach_targets(conn: Connection, plan: StreamPlan, external_ids: list[str]) -> dict[str, str]:
    """For streams describing part of another object's records: external id -> that record's canonical id.

    Only live refs count: a receipt must not bring back an order the ERP deleted.
    """
    if plan.spec.attach_to_object is None or not external_ids:
        return {}
    found: dict[str, str] = {}
    ids = sorted(set(external_ids))
    for start in range(0, len(ids), _CHUNK):
        query = select(REFS.c.external_id, REFS.c.record_id).where(
            REFS.c.external_id.in_(ids[start : start + _CHUNK]),
            REFS.c.system == plan.system,
            REFS.c.object == plan.spec.attach_to_object,
            REFS.c.entity == plan.entity,
            REFS.c.deleted_at.is_(None),
        )
        found.update({str(ext): str(rid) for ext, rid in conn.execute(query)})
    return found


def _no_target(plan: StreamPlan, result: MappingResult) -> QuarantineError:
    target = plan.spec.attach_to_object
    reason = (f"no {plan.entity} with {plan.system} {target} id {result.external_id!r} in the hub "
              f"(sync {target} first; the record attaches to it)")
    return QuarantineError("record", f"{plan.system}/{plan.object}/{result.external_id}: {reason}", "id",
                           result.external_id, reason)
