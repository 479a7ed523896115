"""Identity matches held for review: a person merges or rejects them."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Connection, select, update

from hub.db.types import utcnow
from hub.errors import ConflictError, NotFoundError
from hub.store.records import identity_match_document
from hub.store.rules import StoreRules
from hub.store.tables import IdentityMatch
from hub.store.upsert import merge_records

MATCHES = IdentityMatch.__table__  # type: ignore[attr-defined]


def resolve_match(
    conn: Connection,
    match_id: str,
    decision: Literal["merge", "reject"],
    *,
    actor: str,
    into: str | None = None,
    rules: StoreRules | None = None,
) -> dict[str, Any]:
    """Merge the held record into a candidate (``into``, default the only candidate) or reject the match."""
    row = conn.execute(select(MATCHES).where(MATCHES.c.id == match_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no identity match {match_id!r}")
    if row["status"] != "pending":
        raise ConflictError(
            f"identity match {match_id} is already {row['status']}", details={"status": row["status"]}
        )
    now = utcnow()
    values: dict[str, Any] = {"resolved_at": now, "resolved_by": actor}
    if decision == "merge":
        candidates: list[str] = row["candidate_ids"]
        if into is None:
            if len(candidates) != 1:
                raise ConflictError(
                    f"identity match {match_id} has {len(candidates)} candidates: say which one to merge into",
                    details={"candidates": candidates, "hint": 'send {"decision": "merge", "into": "<id>"}'},
                )
            into = candidates[0]
        elif into not in candidates:
            raise ConflictError(
                f"{into} is not a candidate of identity match {match_id}", details={"candidates": candidates}
            )
        merge_records(
            conn, row["entity"], into, row["record_id"], rules, actor=actor, rule=row["rule"], value=row["value"],
            now=now,
        )
        values.update(status="merged", merged_into=into)
    else:
        values.update(status="rejected")
    conn.execute(update(MATCHES).where(MATCHES.c.id == match_id).values(values))
    return identity_match_document({**dict(row), **values})
