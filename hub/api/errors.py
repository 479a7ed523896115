"""Every error leaves the API as ``{"error": {"code", "message", "details"}}``.

The status of a HubError is looked up by its class in ``STATUS_BY_ERROR`` (the
nearest listed base class wins), so new errors get a sensible status without a
new handler. Framework errors (unknown route, bad parameters) and database
outages are translated here too; anything else becomes a 500 that says nothing
about the internals.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from hub.errors import (
    AuthExpiredError,
    ConflictError,
    DatabaseNotReadyError,
    FatalError,
    ForbiddenError,
    HubError,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    RecordError,
    RetryableError,
    UnauthorizedError,
)

log = logging.getLogger(__name__)


STATUS_BY_ERROR: dict[type[HubError], int] = {
    UnauthorizedError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    InvalidRequestError: 422,
    RecordError: 422,
    RateLimitedError: 429,
    AuthExpiredError: 502,
    RetryableError: 503,
    DatabaseNotReadyError: 503,
    FatalError: 500,
    HubError: 500,
}

_CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "details": details}}, status_code=status, headers=headers
    )


def status_for(exc: HubError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


async def _hub_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HubError)
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
        headers = {"Retry-After": str(max(1, round(exc.retry_after)))}
    return error_response(status, exc.code, exc.message, exc.details, headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _CODE_BY_STATUS.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code
    if exc.status_code == 404:
        message = f"{request.method} {request.url.path} is not an endpoint of this hub (see /docs)"
    elif exc.status_code == 405:
        message = f"{request.url.path} does not accept {request.method}"
    return error_response(exc.status_code, code, message, None, dict(exc.headers or {}) or None)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {
            "location": str(err["loc"][0]) if err.get("loc") else "request",
            "field": ".".join(str(p) for p in err.get("loc", ())[1:]),
            "reason": err.get("msg", "invalid"),
        }
        for err in exc.errors()
    ]
    summary = "; ".join(f"{p['field'] or p['location']}: {p['reason']}" for p in problems)
    return error_response(422, InvalidRequestError.code, f"invalid request: {summary}", problems)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return error_response(
        503,
        DatabaseNotReadyError.code,
        "the database is unavailable or not migrated; GET /readyz tells which (run `hub db upgrade` if behind)",
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette re-raises after sending this, so the server logs the traceback once.
    return error_response(500, "internal_error", "unexpected server error; the details are in the hub's log")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HubError, _hub_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
