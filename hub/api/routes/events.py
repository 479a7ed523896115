"""``/api/v1/events``: poll the outbox in sequence order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hub.api.deps import ReadConn
from hub.api.schemas import EventPage
from hub.events.outbox import list_events

router = APIRouter(tags=["events"])


@router.get("/events", summary="Events after a sequence number, oldest first")
def poll_events(
    conn: ReadConn,
    after: Annotated[int, Query(ge=0, description="Return events with seq greater than this.")] = 0,
    types: Annotated[
        list[str] | None, Query(alias="type", description="Event type; repeatable; `*` wildcards (order.*).")
    ] = None,
    record_id: Annotated[str | None, Query(description="Only events of this record.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventPage:
    items = list_events(conn, after=after, types=types or (), record_id=record_id, limit=limit)
    return EventPage(items=items, next_after=items[-1]["seq"] if items else after)
