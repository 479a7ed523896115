"""The API's routes, one small module per area."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from hub.api.deps import reject_unknown_query_params, require_role
from hub.api.routes import (
    connectors,
    deliveries,
    events,
    flows,
    health,
    identity,
    inbound,
    jobs,
    mappings,
    metrics,
    quarantine,
    records,
    subscriptions,
    sync_runs,
)
from hub.api.schemas import ErrorResponse
from hub.errors import InvalidRequestError
from hub.security.api_keys import Role

_API_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse, "description": "Missing, unknown or revoked API key."},
    403: {"model": ErrorResponse, "description": "The key's role is too low."},
    404: {"model": ErrorResponse, "description": "No such record."},
    422: {"model": ErrorResponse, "description": f"Bad parameters (code {InvalidRequestError.code})."},
}


def api_v1_router() -> APIRouter:
    """``/api/v1``: every route needs a key; viewers may read, writes say their own role."""
    router = APIRouter(
        prefix="/api/v1",
        dependencies=[Depends(require_role(Role.VIEWER)), Depends(reject_unknown_query_params)],
        responses=_API_ERRORS,
    )
    for entity_router in records.entity_routers():
        router.include_router(entity_router)
    router.include_router(events.router)
    router.include_router(identity.router)
    router.include_router(mappings.router)
    router.include_router(connectors.router)
    router.include_router(sync_runs.router)
    router.include_router(quarantine.router)
    router.include_router(jobs.router)
    router.include_router(subscriptions.router)
    router.include_router(deliveries.router)
    router.include_router(inbound.router)
    router.include_router(flows.router)
    router.include_router(flows.runs_router)
    return router


def probe_routers() -> list[APIRouter]:
    return [health.router, metrics.router]
