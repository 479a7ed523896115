"""``/api/v1/deliveries``: what was sent where, every attempt, and replays (the same webhook-id)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query

from hub.api.deps import Operator, ReadConn, State, WriteConn
from hub.db.types import utcnow
from hub.errors import InvalidRequestError
from webhooks.outbound.deliveries import get_delivery, list_deliveries, replay, replay_all
from webhooks.outbound.models import DeliveryDetail, DeliveryPage, DeliveryPublic, ReplayRequest, ReplayResult

router = APIRouter(prefix="/deliveries", tags=["subscriptions"])


@router.get("", summary="Deliveries, newest first")
def list_all(
    conn: ReadConn,
    status: Annotated[str | None, Query(description="pending, succeeded, dead or cancelled.")] = None,
    subscription: Annotated[str | None, Query(description="A subscription's id or name.")] = None,
    before: Annotated[str | None, Query(description="next_before of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeliveryPage:
    items = list_deliveries(conn, status=status, subscription=subscription, before=before, limit=limit)
    return DeliveryPage(items=[DeliveryPublic(**i) for i in items],
                        next_before=items[-1]["id"] if len(items) == limit else None)


@router.get("/{delivery_id}", summary="One delivery with its body and every attempt")
def get_one(delivery_id: str, conn: ReadConn) -> DeliveryDetail:
    return DeliveryDetail(**get_delivery(conn, delivery_id))


@router.post(
    "/{delivery_id}/replay",
    summary="Send a delivery again, with the same webhook-id",
    responses={409: {"description": "Still pending, or its subscription is disabled."}},
)
def replay_one(
    delivery_id: str, state: State, _operator: Operator, conn: WriteConn, tasks: BackgroundTasks
) -> DeliveryPublic:
    replay(conn, [delivery_id], now=utcnow())
    _wake(state, tasks)
    return DeliveryPublic(**get_delivery(conn, delivery_id))


@router.post("/replay", summary="Replay several deliveries by id, or every one in a status (dead by default)")
def replay_many(
    body: ReplayRequest, state: State, _operator: Operator, conn: WriteConn, tasks: BackgroundTasks
) -> ReplayResult:
    if body.ids and (body.status or body.subscription):
        raise InvalidRequestError("give ids, or status (and optionally subscription), not both")
    now = utcnow()
    if body.ids:
        replayed = replay(conn, body.ids, now=now)
    else:
        replayed = replay_all(conn, status=body.status or "dead", subscription=body.subscription, now=now)
    _wake(state, tasks)
    return ReplayResult(replayed=replayed)


def _wake(state: State, tasks: BackgroundTasks) -> None:
    """After the commit (the connection closes before the answer goes out), look for due work at once."""
    if state.background is not None:
        tasks.add_task(state.background.wake)
