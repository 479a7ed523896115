"""HTTP around the simulated corp: the server API under ``/cgi-bin/`` and a ``/_sim`` control API.

Control API (tests, demos and benchmarks)::

    GET  /_sim/state                              account, employees, counts, calls, knobs
    GET  /_sim/knobs     POST /_sim/knobs {..}     read / set fault knobs (see state.Knobs)
    POST /_sim/tokens/expire {"code": 42001}      end every token early (40001, 40014 or 42001)
    GET  /_sim/messages                           the application messages sent
    POST /_sim/contacts {"userid": ..}            add an external contact -> {external_userid, event}
    POST /_sim/approvals/{sp_no}/decide {"status": 2}   approve / reject / withdraw -> {event}
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.wecom.simulator.state import WeComSimulator, error


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), status,
                    media_type="application/json; charset=utf-8")


_UNREADABLE = object()


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return _UNREADABLE


def create_app(sim: WeComSimulator) -> Starlette:
    async def api(request: Request) -> Response:
        if sim.knobs.latency_ms:
            await asyncio.sleep(sim.knobs.latency_ms / 1000)
        body = await _body(request)
        if body is _UNREADABLE:  # WeCom answers a body it cannot read with 47001, still HTTP 200
            return _json(error(47001, "data format error"))
        query = dict(request.query_params.items())
        return _json(sim.handle(request.method, request.path_params["path"], query, body))

    async def state(request: Request) -> Response:
        return _json(sim.describe())

    async def knobs(request: Request) -> Response:
        if request.method == "POST":
            try:
                sim.set_knobs(**(await request.json()))
            except KeyError as exc:
                return _json({"error": str(exc)}, 400)
        return _json(asdict(sim.knobs))

    async def expire(request: Request) -> Response:
        body = await _body(request)
        code = int(body.get("code", 42001)) if isinstance(body, dict) else 42001
        try:
            return _json({"expired": sim.expire_tokens(code)})
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)

    async def messages(request: Request) -> Response:
        return _json([asdict(m) for m in sim.messages])

    async def add_contact(request: Request) -> Response:
        body = await _body(request)
        external_userid, event = sim.add_contact(body.get("userid") if isinstance(body, dict) else None)
        return _json({"external_userid": external_userid, "event": event}, 201)

    async def decide(request: Request) -> Response:
        body = await _body(request)
        try:
            event = sim.decide(request.path_params["sp_no"], int(body.get("status", 2)) if isinstance(body, dict)
                               else 2)
        except KeyError:
            return JSONResponse({"error": "no such approval"}, 404)
        return _json({"event": event})

    return Starlette(routes=[
        Route("/cgi-bin/{path:path}", api, methods=["GET", "POST"]),
        Route("/_sim/state", state),
        Route("/_sim/knobs", knobs, methods=["GET", "POST"]),
        Route("/_sim/tokens/expire", expire, methods=["POST"]),
        Route("/_sim/messages", messages),
        Route("/_sim/contacts", add_contact, methods=["POST"]),
        Route("/_sim/approvals/{sp_no}/decide", decide, methods=["POST"]),
    ])
