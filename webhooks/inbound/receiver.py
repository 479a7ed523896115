"""``POST /webhooks/in/{source}``: verify, store raw, answer; processing happens later in a worker.

::

    unknown source ─► 404      body over the limit ─► 413      verification fails ─► 401
    body not JSON ─► 400       stored (committed) ─► 202 {"id"}      duplicate ─► 200 {"id" of the first}

Not under ``/api/v1``: senders prove themselves with the source's ``verify`` scheme,
not with API keys. Nothing is answered 2xx before the message is committed, and the
body is never parsed before the request is verified.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel
from starlette.routing import Route

from hub.api.errors import error_response
from hub.api.schemas import ErrorResponse
from hub.errors import HubError
from webhooks.inbound.context import WorkspaceCache
from webhooks.inbound.errors import status_of
from webhooks.inbound.messages import NewMessage
from webhooks.inbound.payload import check_declared_length, dedupe_key, kept_headers, parse_json, read_limited
from webhooks.inbound.verification import verify_request
from webhooks.inbound.writer import GroupCommitWriter

log = logging.getLogger(__name__)

WEBHOOK_CHANNEL = "webhook"


class Receipt(BaseModel):
    id: str


class InboundReceiver:
    """What the endpoint holds for the app's lifetime (``app.state.inbound``): sources and the writer."""

    def __init__(self, sources: WorkspaceCache, writer: GroupCommitWriter) -> None:
        self.sources = sources
        self.writer = writer


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app.state.hub  # hub.api.state.AppState, set by create_app before the app starts
    background = state.background
    writer = GroupCommitWriter(state.engine, on_commit=background.wake if background is not None else None)
    app.state.inbound = InboundReceiver(WorkspaceCache(state.settings.workspace), writer)
    await writer.start()
    try:
        yield
    finally:
        await writer.close()


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


async def receive(request: Request) -> Response:
    """The endpoint itself, as a plain Starlette route: no dependency injection on the hottest path."""
    source: str = request.path_params["source"]
    inbound: InboundReceiver = request.app.state.inbound
    headers = request.headers
    try:
        config = inbound.sources.source(source)
        check_declared_length(headers, config.max_body_bytes)
        body = await read_limited(request.stream(), config.max_body_bytes)
        webhook_id = verify_request(config.verify, headers, body)
        payload = parse_json(body)
    except HubError as exc:
        status = status_of(exc)
        log.log(logging.ERROR if status >= 500 else logging.INFO, "inbound %s refused (%d): %s", source, status,
                exc.message)
        return error_response(status, exc.code, exc.message, exc.details)
    secret_header = config.verify.effective_header if config.verify.scheme == "api-key" else None
    message = NewMessage(WEBHOOK_CHANNEL, source, body, kept_headers(headers, secret_header=secret_header),
                         dedupe_key(config, headers, payload, webhook_id))
    accepted = await inbound.writer.submit(message)
    return Response(json.dumps({"id": accepted.id}), status_code=200 if accepted.duplicate else 202,
                    media_type="application/json")


router = APIRouter(lifespan=_lifespan, tags=["inbound webhooks"])
router.routes.append(Route("/webhooks/in/{source}", receive, methods=["POST"], name="receive_webhook"))


# The same path as a FastAPI route, for /docs only: the Starlette route above matches first. (FastAPI's
# per-request dependency solving cost about a tenth of the ingest rate; see bench/webhooks_inbound.py.)
@router.post(
    "/webhooks/in/{source}",
    status_code=202,
    summary="Receive a webhook from an upstream system",
    response_model=Receipt,
    responses={
        200: {"model": Receipt, "description": "A duplicate: the id of the message first stored with its key."},
        400: _error("The body is not JSON."),
        401: _error("Verification failed: the message says which header or check."),
        404: _error("No such source in hub.yaml."),
        413: _error("The body is larger than the source allows (default 1 MiB)."),
    },
)
async def receive_webhook(source: str, request: Request) -> Response:
    """Verify the request with the source's scheme, store it, answer 202 with its id; processed later.

    A message whose dedupe key (webhook-id, or the source's ``dedupe``) was seen
    before is not stored again: 200 with the first message's id.
    """
    return await receive(request)
