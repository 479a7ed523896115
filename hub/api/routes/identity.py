"""``/api/v1/identity-matches``: possible duplicates the store held for a person to decide."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from hub.api.deps import Operator, ReadConn, State, WriteConn
from hub.api.schemas import ItemList, ResolveMatch
from hub.store.records import list_identity_matches
from hub.store.review import resolve_match

router = APIRouter(prefix="/identity-matches", tags=["identity"])


@router.get("", summary="Identity matches, oldest first")
def list_matches(
    conn: ReadConn,
    status: Literal["pending", "merged", "rejected", "all"] = "pending",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ItemList:
    return ItemList(items=list_identity_matches(conn, status=None if status == "all" else status, limit=limit))


@router.post("/{match_id}/resolve", summary="Merge the held record into a candidate, or reject the match")
def resolve(match_id: str, body: ResolveMatch, principal: Operator, state: State, conn: WriteConn) -> dict[str, Any]:
    # The key is checked before the write transaction opens (SQLite takes its lock at BEGIN).
    return resolve_match(conn, match_id, body.decision, actor=principal.name, into=body.into, rules=state.rules)
