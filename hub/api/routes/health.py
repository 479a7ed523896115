"""Probes: ``/healthz`` says the process answers, ``/readyz`` that it can serve (database at head)."""

from __future__ import annotations

from fastapi import APIRouter

from hub.api.deps import State
from hub.api.schemas import ErrorResponse, Health
from hub.db.migrate import head_revision, schema_status
from hub.errors import DatabaseNotReadyError

router = APIRouter(tags=["health"])


@router.get(
    "/healthz", summary="Liveness: the process answers (no database call)", response_model_exclude_none=True
)
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: the database is reachable and its schema is at head",
    response_model_exclude_none=True,
    responses={503: {"model": ErrorResponse, "description": "Database unreachable or not migrated."}},
)
def readyz(state: State) -> Health:
    try:
        status = schema_status(state.engine)
    except DatabaseNotReadyError as exc:
        raise DatabaseNotReadyError(exc.message, details={"current": None, "head": head_revision()}) from exc
    if not status.ready:
        raise DatabaseNotReadyError(
            f"the database schema is at {status.current or 'nothing (empty database)'} but this hub needs "
            f"{status.head}: run `hub db upgrade`",
            details={"current": status.current, "head": status.head},
        )
    return Health(status="ready", schema_revision=status.current)
