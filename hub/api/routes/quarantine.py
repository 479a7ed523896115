"""``/api/v1/quarantine``: records a sync could not store; retry them after a mapping fix, or discard them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from hub.api.deps import Operator, ReadConn, State, WriteConn
from hub.db.paging import MAX_PAGE
from hub.sync.quarantine import discard, get_entry, list_entries
from hub.sync.retry import retry_entries
from hub.workspace.loader import load_workspace

router = APIRouter(prefix="/quarantine", tags=["sync"])


class QuarantinePage(BaseModel):
    items: list[dict[str, Any]] = Field(
        description="Newest first: id, connector, stream, entity, system, mapping, external_id, raw, error "
                    "{kind (mapping, record, vendor), field, value (masked), reason, message}, status, occurrences."
    )
    next_cursor: str | None = Field(description="Pass as ?cursor= for older records; null on the last page.")


class RetryResult(BaseModel):
    id: str
    ok: bool = Field(description="Whether the record is now stored.")
    status: str = Field(description="retried, or pending when it failed again.")
    action: str | None = Field(description="What the store did: created, updated or unchanged.")
    error: dict[str, Any] | None = Field(description="Why it failed again.")


@router.get("", summary="Quarantined records, newest first")
def list_quarantine(
    conn: ReadConn,
    connector: str | None = None,
    status: Literal["pending", "retried", "discarded", "all"] = "pending",
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> QuarantinePage:
    items, next_cursor = list_entries(conn, connector=connector, status=None if status == "all" else status,
                                      before=cursor, limit=limit)
    return QuarantinePage(items=items, next_cursor=next_cursor)


@router.get("/{entry_id}", summary="One quarantined record with its raw form")
def get_quarantined(entry_id: str, conn: ReadConn) -> dict[str, Any]:
    return get_entry(conn, entry_id)


@router.post("/{entry_id}/retry", summary="Map the raw record again with the current mapping and store it")
def retry_quarantined(entry_id: str, principal: Operator, state: State) -> RetryResult:
    workspace = load_workspace(state.settings.workspace)
    [outcome] = retry_entries(state.engine, workspace, [entry_id], actor=principal.name,
                              registry=state.mappings.get(state.settings.workspace))
    return RetryResult.model_validate(outcome.as_json())


@router.post("/{entry_id}/discard", summary="Give up on a quarantined record")
def discard_quarantined(entry_id: str, principal: Operator, conn: WriteConn) -> dict[str, Any]:
    return discard(conn, entry_id, actor=principal.name)
