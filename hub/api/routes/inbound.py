"""``/api/v1/inbound``: received webhooks (and vendor callbacks), their processing, and replay."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from hub.api.deps import Operator, ReadConn, State
from hub.db.paging import MAX_PAGE
from webhooks.inbound.context import Contexts
from webhooks.inbound.messages import get_message, list_messages
from webhooks.inbound.processing import replay_messages

router = APIRouter(prefix="/inbound", tags=["inbound webhooks"])


class InboundPage(BaseModel):
    items: list[dict[str, Any]] = Field(
        description="Newest first, without bodies: id, channel, source, dedupe_key, headers, status (pending, "
                    "processed, quarantined, rejected: a vendor callback that failed verification), attempts, "
                    "error {kind, message, field, value (masked), reason}, "
                    "result {records: [{entity, id, external_id, action, version}]}, received_at, processed_at."
    )
    next_cursor: str | None = Field(description="Pass as ?cursor= for older messages; null on the last page.")


class ReplayResult(BaseModel):
    id: str
    status: str = Field(description="processed, or quarantined when it failed again.")
    result: dict[str, Any] | None = Field(description="The records it wrote.")
    error: dict[str, Any] | None = Field(description="Why it failed again.")


@router.get("", summary="Inbound messages, newest first")
def list_inbound(
    conn: ReadConn,
    status: Literal["pending", "processed", "quarantined", "rejected"] | None = None,
    source: str | None = None,
    channel: str | None = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> InboundPage:
    items, next_cursor = list_messages(conn, status=status, source=source, channel=channel, before=cursor,
                                       limit=limit)
    return InboundPage(items=items, next_cursor=next_cursor)


@router.get("/{message_id}", summary="One inbound message with its raw body and headers")
def get_inbound(message_id: str, conn: ReadConn) -> dict[str, Any]:
    return get_message(conn, message_id)


@router.post("/{message_id}/replay", summary="Process a message again now (after fixing its mapping)")
def replay_inbound(message_id: str, _principal: Operator, state: State) -> ReplayResult:
    contexts = Contexts(state.settings.workspace, mappings=state.mappings)
    [outcome] = replay_messages(state.engine, [message_id], contexts)
    return ReplayResult.model_validate(outcome.as_json())
