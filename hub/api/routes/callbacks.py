"""``GET|POST /callbacks/{type}/{connector}``: the vendors' encrypted callbacks (WeCom, DingTalk).

::

    no handler for {type}, no connector {connector} in hub.yaml, or one of another type ─► 404
    handler.receive(settings, request)        (verify the signature, decrypt: hub/sdk/callbacks.py)
        CallbackRejected / another 4xx ─► stored as ``rejected`` (raw body cut to 64 KiB, query, reason) ─► 4xx
        a bug in the handler ─► stored as ``rejected`` (reason handler_error) ─► 500: the vendor retries
        reply.message ─► stored through the inbound writer (committed, deduplicated, a job queued) ─► reply
        no message (URL verification) ─► reply

Not under ``/api/v1``: vendors prove themselves with the callback signature, not API keys.
The event is committed before the vendor gets its answer, and processed later by the
channel's processor (webhooks/inbound/processing.py), so a bug there never loses an event.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import Engine
from starlette.routing import Route

from hub.api.errors import error_response, status_for
from hub.api.schemas import ErrorResponse
from hub.api.state import AppState
from hub.db.types import utcnow
from hub.errors import HubError, NotFoundError
from hub.sdk.callbacks import CALLBACK_HANDLERS, CallbackHandler, CallbackReply, CallbackRequest, callback_handler
from hub.sdk.contract import ConnectorSettings
from hub.sync.plan import connector_settings
from hub.workspace.loader import Workspace
from webhooks.inbound.errors import status_of
from webhooks.inbound.messages import NewMessage, store_rejected
from webhooks.inbound.payload import MAX_KEY_LENGTH, check_declared_length, kept_headers, read_limited
from webhooks.inbound.receiver import InboundReceiver

log = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 1024 * 1024
QUERY_PREFIX = "query."  # query parameters are kept with the headers as "query.<name>"
EVENT_HEADER = "x-hub-callback-event"  # the handler's event_type, kept with the headers

router = APIRouter(tags=["vendor callbacks"])


async def _endpoint(request: Request) -> Response:
    """The route itself, as a plain Starlette route: no dependency injection on a vendor's hot path
    (FastAPI's cost more than verifying and decrypting). The FastAPI routes below are for /docs."""
    return await receive(request.path_params["kind"], request.path_params["connector"], request)


router.routes.append(Route("/callbacks/{kind}/{connector}", _endpoint, methods=["GET", "POST"],
                           name="vendor_callback"))


class _Refused(Exception):
    """The request cannot be handled at all (404): nothing is stored."""

    def __init__(self, error: HubError) -> None:
        super().__init__(error.message)
        self.error = error


_ANSWERS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Not a callback of this vendor (query, body, ciphertext); "
                                                 "stored as rejected."},
    401: {"model": ErrorResponse, "description": "Signature or timestamp wrong; stored as rejected."},
    403: {"model": ErrorResponse, "description": "Encrypted for another corp or app; stored as rejected."},
    404: {"model": ErrorResponse, "description": "No connector of this name and type in hub.yaml."},
    413: {"model": ErrorResponse, "description": "The body is over 1 MiB; stored as rejected."},
    503: {"model": ErrorResponse, "description": "The event could not be stored; the vendor retries."},
}


@router.get(
    "/callbacks/{kind}/{connector}",
    summary="Answer a vendor's callback URL check (WeCom)",
    response_class=Response,
    responses={200: {"description": "The decrypted echostr alone, as text/plain."}, **_ANSWERS},
)
async def verify_callback_url(kind: str, connector: str, request: Request) -> Response:
    """Check the signature and decrypt ``echostr`` with connector ``{connector}``'s settings; nothing is stored."""
    return await receive(kind, connector, request)


@router.post(
    "/callbacks/{kind}/{connector}",
    summary="Receive a vendor's encrypted event (WeCom XML, DingTalk JSON)",
    response_class=Response,
    responses={200: {"description": "Stored; the answer the vendor expects (WeCom: empty or a passive reply; "
                                    "DingTalk: the encrypted \"success\")."}, **_ANSWERS},
)
async def receive_callback(kind: str, connector: str, request: Request) -> Response:
    """Verify and decrypt the event with connector ``{connector}``'s settings, store it, then answer.

    Paths: ``/callbacks/wecom/{connector}`` and ``/callbacks/dingtalk/{connector}``; configure
    that URL, the token and the AES key in the vendor's console.
    """
    return await receive(kind, connector, request)


async def receive(kind: str, connector: str, request: Request) -> Response:
    """Both methods: the handler tells a URL check (no message) from an event."""
    state: AppState = request.app.state.hub
    inbound: InboundReceiver = request.app.state.inbound
    try:
        handler, settings = _resolve(inbound, kind, connector)
    except _Refused as refused:
        return error_response(404, refused.error.code, refused.error.message, refused.error.details)
    except HubError as exc:  # the connector's settings are wrong: the admin must fix hub.yaml
        log.error("callback for %s/%s cannot be handled: %s", kind, connector, exc.message)
        return error_response(status_for(exc), exc.code, exc.message, exc.details)

    raw = b""
    try:
        check_declared_length(request.headers, MAX_CALLBACK_BYTES)
        raw = await read_limited(request.stream(), MAX_CALLBACK_BYTES)
        callback = CallbackRequest(request.method, dict(request.query_params.items()), request.headers, raw,
                                   utcnow())
        reply = handler.receive(settings, callback)
    except HubError as exc:
        status = _rejection_status(exc)
        if status >= 500:  # not the caller's fault (a setting the handler needs is missing)
            log.error("callback for %s/%s failed: %s", kind, connector, exc.message)
            return error_response(status, exc.code, exc.message, exc.details)
        reason = str(getattr(exc, "reason", exc.code))
        log.info("callback for %s/%s rejected (%d %s): %s", kind, connector, status, reason, exc.message)
        await _keep_rejected(state.engine, handler.channel, connector, raw, request, reason, exc.message)
        return error_response(status, exc.code, exc.message, exc.details)
    except Exception as exc:  # a bug in the handler: keep the request as evidence, let the vendor retry
        log.exception("the %s callback handler failed on a request for %s", kind, connector)
        why = f"the {kind} callback handler failed: {type(exc).__name__}"
        await _keep_rejected(state.engine, handler.channel, connector, raw, request, "handler_error", why)
        return error_response(500, "internal_error", "unexpected server error; the details are in the hub's log")

    if reply.message is not None:
        headers = _kept(request, reply.event_type)
        event = NewMessage(handler.channel, connector, reply.message, headers, _bounded(reply.dedupe_key))
        try:
            accepted = await inbound.writer.submit(event)  # committed (or found a duplicate) before answering
        except Exception as exc:
            log.error("callback for %s/%s could not be stored (%s); the vendor will retry", kind, connector,
                      type(exc).__name__)
            return error_response(503, "database_not_ready", "the callback could not be stored; retry later")
        log.info("callback for %s/%s stored as %s%s (event %s)", kind, connector, accepted.id,
                 " (duplicate)" if accepted.duplicate else "", reply.event_type or "?")
    return _answer(reply)


def _resolve(inbound: InboundReceiver, kind: str, connector: str) -> tuple[CallbackHandler, ConnectorSettings]:
    if kind not in CALLBACK_HANDLERS:
        raise _Refused(NotFoundError(
            f"no callbacks for connector type {kind!r}: callbacks are received for "
            f"{', '.join(sorted(CALLBACK_HANDLERS))}"))
    workspace = inbound.sources.get()
    config = workspace.config.connectors.get(connector)
    if config is None or config.type != kind:
        found = f" (it is of type {config.type})" if config is not None else ""
        raise _Refused(NotFoundError(
            f"no {kind} connector named {connector!r} in hub.yaml{found}: the callback URL is "
            f"/callbacks/<type>/<connector name>"))
    key = (id(workspace), kind, connector)
    cached = _resolved.get(key)
    if cached is not None and cached[0] is workspace:
        return cached[1], cached[2]
    settings = connector_settings(workspace, connector)  # validated once per loaded hub.yaml, not per request
    handler = callback_handler(kind)
    assert handler is not None  # kind is in the table
    if len(_resolved) > 64:
        _resolved.clear()
    _resolved[key] = (workspace, handler, settings)
    return handler, settings


_resolved: dict[tuple[int, str, str], tuple[Workspace, CallbackHandler, ConnectorSettings]] = {}


def _rejection_status(exc: HubError) -> int:
    status = getattr(exc, "status", None)  # CallbackRejected says which
    if isinstance(status, int) and 400 <= status < 500:
        return status
    inbound = status_of(exc)  # as for inbound webhooks: 400, 401, 404, 413
    return inbound if inbound != 500 else status_for(exc)


def _kept(request: Request, event_type: str | None = None) -> dict[str, str]:
    headers = kept_headers(request.headers)
    headers.update({QUERY_PREFIX + name: value for name, value in request.query_params.items()})
    if event_type:
        headers[EVENT_HEADER] = event_type
    return headers


async def _keep_rejected(
    engine: Engine, channel: str, connector: str, raw: bytes, request: Request, reason: str, message: str
) -> None:
    """Store the refused request for the admin; a failure to store it never changes the answer."""
    headers = _kept(request)
    try:
        await asyncio.to_thread(_store_rejected, engine, channel, connector, raw, headers, reason, message)
    except Exception as exc:
        log.warning("a rejected %s callback for %s could not be stored: %s", channel, connector, type(exc).__name__)


def _store_rejected(engine: Engine, channel: str, connector: str, raw: bytes, headers: Mapping[str, str],
                    reason: str, message: str) -> str:
    with engine.begin() as conn:
        return store_rejected(conn, channel, connector, raw, headers, reason=reason, message=message)


def _bounded(key: str | None) -> str | None:
    """The dedupe column holds 200 characters: a longer key is stored as its SHA-256 (as for webhooks)."""
    if key is None or len(key) <= MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _answer(reply: CallbackReply) -> Response:
    return Response(reply.body, status_code=reply.status, media_type=reply.media_type)
