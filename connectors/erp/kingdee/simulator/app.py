"""HTTP around the simulator: the WebAPI at ``/k3cloud/{Service}.common.kdsvc`` and a ``/_sim`` control API.

Control API (for tests, demos and benchmarks)::

    GET  /_sim/stats                               calls, logins, rows served, documents per form
    GET  /_sim/account                             the credentials the simulator accepts
    GET  /_sim/knobs    POST /_sim/knobs {..}      read / set fault knobs (see core.Knobs)
    POST /_sim/forms/{form}/modify {"numbers": [..], "set": {..}}   change documents (new FModifyDate)
    POST /_sim/forms/{form}/delete {"numbers": [..]}
    GET  /_sim/forms/{form}/documents?number=..&FDescription=..     documents, e.g. what a push saved
    POST /_sim/receipts {"order": "XSDD000001", "amount": 100.5, "audited": true}
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

from connectors.erp.kingdee.simulator.core import KingdeeSimulator

SUFFIX = ".common.kdsvc"


def _encode(payload: Any) -> tuple[bytes, str]:
    if isinstance(payload, str):
        return payload.encode(), "text/html; charset=utf-8"
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(), "application/json; charset=utf-8"


def create_app(sim: KingdeeSimulator) -> Starlette:
    async def webapi(request: Request) -> Response:
        name = request.path_params["service"]
        if not name.endswith(SUFFIX):
            return Response("Not Found", 404)
        service = name[: -len(SUFFIX)].rsplit(".", 1)[-1]
        body = await request.body()
        if sim.knobs.latency_ms:
            await asyncio.sleep(sim.knobs.latency_ms / 1000)
        headers = {k.lower(): v for k, v in request.headers.items()}
        status, payload, extra = sim.handle(service, request.url.path, headers, body)
        content, media_type = _encode(payload)
        return Response(content, status, headers=extra, media_type=media_type)

    async def stats(request: Request) -> Response:
        return JSONResponse(sim.stats())

    async def account(request: Request) -> Response:
        return JSONResponse(asdict(sim.account))

    async def knobs(request: Request) -> Response:
        if request.method == "POST":
            try:
                sim.set_knobs(**(await request.json()))
            except KeyError as exc:
                return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse(asdict(sim.knobs))

    async def modify(request: Request) -> Response:
        body = await request.json()
        try:
            when = sim.modify(request.path_params["form"], list(body["numbers"]), body.get("set"))
        except KeyError as exc:
            return JSONResponse({"error": str(exc)}, 404)
        return JSONResponse({"FModifyDate": when})

    async def delete(request: Request) -> Response:
        body = await request.json()
        sim.delete(request.path_params["form"], list(body["numbers"]))
        return JSONResponse({"deleted": len(body["numbers"])})

    async def documents(request: Request) -> Response:
        where = dict(request.query_params)
        number = where.pop("number", None)
        return JSONResponse(sim.documents(request.path_params["form"], number=number, **where))

    async def receipts(request: Request) -> Response:
        body = await request.json()
        number = sim.add_receipt(str(body["order"]), float(body["amount"]), audited=bool(body.get("audited", True)))
        return JSONResponse({"FBillNo": number})

    return Starlette(routes=[
        Route("/k3cloud/{service}", webapi, methods=["POST"]),
        Route("/_sim/stats", stats),
        Route("/_sim/account", account),
        Route("/_sim/knobs", knobs, methods=["GET", "POST"]),
        Route("/_sim/forms/{form}/modify", modify, methods=["POST"]),
        Route("/_sim/forms/{form}/delete", delete, methods=["POST"]),
        Route("/_sim/forms/{form}/documents", documents),
        Route("/_sim/receipts", receipts, methods=["POST"]),
    ])
