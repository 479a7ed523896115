"""Dependencies declared once as ``Annotated`` aliases and reused by every route.

``ReadConn``/``WriteConn`` close (and commit) when the route function returns,
before the response is sent: a 2xx means the write is committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection

from hub.api.state import AppState
from hub.db.engine import read_only
from hub.db.types import utcnow
from hub.errors import ForbiddenError, InvalidRequestError, UnauthorizedError
from hub.security.api_keys import Principal, Role, authenticate, record_key_use


def _app_state(request: Request) -> AppState:
    state = request.app.state.hub
    assert isinstance(state, AppState)
    return state


State = Annotated[AppState, Depends(_app_state)]


def _read_conn(state: State) -> Iterator[Connection]:
    with read_only(state.engine) as conn:
        yield conn


def _write_conn(state: State) -> Iterator[Connection]:
    with state.engine.begin() as conn:
        yield conn


ReadConn = Annotated[Connection, Depends(_read_conn, scope="function")]
WriteConn = Annotated[Connection, Depends(_write_conn, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="An API key from `hub keys create`.")


def _principal(
    state: State, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None:
        raise UnauthorizedError("missing API key: send the header Authorization: Bearer <key>")
    with read_only(state.engine) as conn:
        principal = authenticate(conn, credentials.credentials, record_use=False)
    if principal is None:
        raise UnauthorizedError("the API key is not valid (mistyped, unknown or revoked)")
    now = utcnow()
    if principal.use_is_stale(now):
        with state.engine.begin() as conn:
            record_key_use(conn, principal.key_id, now)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(_principal)]


def require_role(role: Role | str) -> Callable[[Principal], Principal]:
    """A dependency that passes the caller through when their key's role is at least ``role``."""
    needed = Role.parse(role)

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.allows(needed):
            raise ForbiddenError(
                f"this needs the {needed.value} role; the key {principal.name!r} is {principal.role.value}",
                details={"needed": needed.value, "role": principal.role.value},
            )
        return principal

    return check


Viewer = Annotated[Principal, Depends(require_role(Role.VIEWER))]
Operator = Annotated[Principal, Depends(require_role(Role.OPERATOR))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]


def reject_unknown_query_params(request: Request) -> None:
    """A misspelt filter (``?stauts=``) is an error, not a silently unfiltered answer."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return
    known = _query_param_names(dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        reason = f"unknown parameter; this endpoint takes: {', '.join(sorted(known)) or 'none'}"
        raise InvalidRequestError(
            f"unknown query parameter(s): {', '.join(unknown)}",
            details=[{"location": "query", "field": name, "reason": reason} for name in unknown],
        )


def _query_param_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_param_names(sub)
    return names
