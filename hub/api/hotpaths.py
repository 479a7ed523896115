"""The two paths upstream systems hit hardest, served in front of the FastAPI app.

``POST /webhooks/in/{source}`` and ``GET|POST /callbacks/{type}/{connector}`` answer
every inbound webhook and vendor callback. Their endpoints take a plain Starlette
request and do all their own checking (verification, size limit, JSON errors), so the
framework's layers around them (middleware stack, dependency solving, matching every
route of the API) are pure cost: about two thirds of the CPU per callback in
bench/callbacks.py. This layer hands those paths straight to the endpoints and
everything else, lifespan included, to the app. Request metrics are kept the same way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from hub.api.errors import error_response
from hub.api.routes.callbacks import receive as receive_callback
from webhooks.inbound.receiver import receive as receive_webhook

log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]


async def _callback(request: Request) -> Response:
    return await receive_callback(request.path_params["kind"], request.path_params["connector"], request)


# path prefix -> (methods, path parameter names, route template for metrics, endpoint)
_HOT: dict[str, tuple[frozenset[str], tuple[str, ...], str, Endpoint]] = {
    "webhooks/in": (frozenset({"POST"}), ("source",), "/webhooks/in/{source}", receive_webhook),
    "callbacks": (frozenset({"GET", "POST"}), ("kind", "connector"), "/callbacks/{kind}/{connector}", _callback),
}


class HotPaths:
    """ASGI app: the hot paths to their endpoints, the rest (and anything malformed) to ``app``."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:  # app.state, app.routes ... for whoever holds the server's app
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hot = _match(scope) if scope["type"] == "http" else None
        if hot is None:
            await self.app(scope, receive, send)
            return
        template, endpoint, params = hot
        started = time.perf_counter()
        scope["app"] = self.app
        scope["path_params"] = params
        try:
            response = await endpoint(Request(scope, receive, send))
        except Exception:  # the endpoints answer every expected failure themselves; this is a bug
            log.exception("%s %s failed", scope["method"], template)
            response = error_response(500, "internal_error",
                                      "unexpected server error; the details are in the hub's log")
        await response(scope, receive, send)
        self.app.state.hub.metrics.observe(scope["method"], template, response.status_code,
                                           time.perf_counter() - started)


def _match(scope: Scope) -> tuple[str, Endpoint, dict[str, str]] | None:
    parts = scope["path"].strip("/").split("/")
    for prefix, (methods, names, template, endpoint) in _HOT.items():
        head = prefix.split("/")
        if parts[:len(head)] != head or len(parts) != len(head) + len(names) or scope["method"] not in methods:
            continue
        values = parts[len(head):]
        if not all(values):
            return None
        return template, endpoint, dict(zip(names, values, strict=True))
    return None
