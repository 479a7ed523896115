"""``/api/v1/sync-runs``: the history of syncs, newest first."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from hub.api.deps import ReadConn
from hub.db.paging import MAX_PAGE
from hub.sync.runs import get_run, list_runs

router = APIRouter(prefix="/sync-runs", tags=["sync"])

RunStatus = Literal["queued", "running", "succeeded", "failed", "needs_confirmation"]


class RunPage(BaseModel):
    items: list[dict[str, Any]] = Field(
        description="Runs, newest first: connector, entity, stream, mapping, mode, status, counts (read, created, "
                    "updated, unchanged, quarantined, deleted), pages, times, duration_seconds, error, details, job_id."
    )
    next_cursor: str | None = Field(description="Pass as ?cursor= for older runs; null on the last page.")


@router.get("", summary="Sync runs, newest first")
def list_sync_runs(
    conn: ReadConn,
    connector: str | None = None,
    entity: str | None = None,
    status: RunStatus | None = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> RunPage:
    items, next_cursor = list_runs(conn, connector=connector, entity=entity, status=status, before=cursor,
                                   limit=limit)
    return RunPage(items=items, next_cursor=next_cursor)


@router.get("/{run_id}", summary="One sync run")
def get_sync_run(run_id: str, conn: ReadConn) -> dict[str, Any]:
    return get_run(conn, run_id)
