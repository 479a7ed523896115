"""Deletion detection: a full read lists every live record, so the refs it did not see were deleted.

Each page of a full run stamps ``seen_at`` on the refs it read. Afterwards, the live
refs of that system and object not seen since the run started are tombstoned through
the store's one write path (``deleted=True``), which versions the records and fires
``<entity>.deleted`` when no other source still has them.

A guard stops a misconfigured filter or a vendor outage that returns an empty list
from wiping the store: when more than ``delete_guard`` (default 20%) of the live
records would go, nothing is deleted until someone confirms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select, update

from hub.store.rules import StoreRules
from hub.store.tables import RecordRef
from hub.store.upsert import SourceRecord, upsert_records
from hub.sync.plan import StreamPlan

REFS = RecordRef.__table__  # type: ignore[attr-defined]
CHUNK = 500


@dataclass(frozen=True)
class DeletionCheck:
    live: int  # live refs of the stream's object before deleting
    missing: list[str]  # their external ids that the full read did not return
    guard: float

    @property
    def share(self) -> float:
        return len(self.missing) / self.live if self.live else 0.0

    @property
    def over_guard(self) -> bool:
        return self.share > self.guard

    def as_json(self) -> dict[str, Any]:
        return {"live": self.live, "missing": len(self.missing), "share": round(self.share, 4), "guard": self.guard,
                "sample": self.missing[:20]}


def mark_seen(conn: Connection, plan: StreamPlan, external_ids: Sequence[str], *, now: datetime) -> None:
    """Stamp the refs a full run read (in the page's transaction)."""
    ids = sorted(set(external_ids))
    for start in range(0, len(ids), CHUNK):
        conn.execute(
            update(REFS)
            .where(REFS.c.external_id.in_(ids[start : start + CHUNK]), REFS.c.system == plan.system,
                   REFS.c.object == plan.object, REFS.c.entity == plan.entity)
            .values(seen_at=now)
        )


def check_deletions(conn: Connection, plan: StreamPlan, *, since: datetime, guard: float) -> DeletionCheck:
    """Which live refs a full run that started at ``since`` did not see."""
    live = (REFS.c.deleted_at.is_(None), REFS.c.system == plan.system, REFS.c.object == plan.object,
            REFS.c.entity == plan.entity)
    total = conn.execute(select(func.count()).select_from(REFS).where(*live)).scalar_one()
    unseen = or_(REFS.c.seen_at.is_(None), REFS.c.seen_at < since)
    missing = sorted(str(ext) for ext in conn.execute(select(REFS.c.external_id).where(*live, unseen)).scalars())
    return DeletionCheck(int(total), missing, guard)


def tombstone(
    conn: Connection, plan: StreamPlan, external_ids: Sequence[str], rules: StoreRules, *, now: datetime
) -> int:
    """Mark these source records deleted; returns how many refs were tombstoned."""
    records = [SourceRecord(plan.system, plan.object, ext, deleted=True) for ext in external_ids]
    results = upsert_records(conn, plan.entity, records, rules, now=now)
    return sum(1 for r in results if r.action != "rejected")
