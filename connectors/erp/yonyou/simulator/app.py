"""HTTP on the simulated tenant: discovery, getAccessToken, the business APIs, and a control API.

::

    GET  /open-auth/dataCenter/getGatewayAddress?tenantId=         → gatewayUrl, tokenUrl
    GET  /{dc}/iuap-api-auth/open-auth/selfAppAuth/base/v1/getAccessToken?appKey=&timestamp=&signature=
    POST /{dc}/iuap-api-gateway/yonbip/digitalModel/merchant/newlist?access_token=
    POST /{dc}/iuap-api-gateway/yonbip/digitalModel/merchant/batchSave?access_token=
    POST /{dc}/iuap-api-gateway/yonbip/sd/voucherorder/list?access_token=
    GET  /{dc}/iuap-api-gateway/yonbip/sd/voucherorder/detail?id=&access_token=
    anything else                                                   → HTTP 404, code 310404

    GET  /_sim/state   GET /_sim/calls   POST /_sim/knobs   POST /_sim/faults   POST /_sim/tokens/expire
    POST /_sim/reset   POST /_sim/customers   GET|PATCH|DELETE /_sim/{customers|orders}/{id}
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from connectors.erp.yonyou.simulator.state import BUSINESS_ERROR, SimulatorState

API_PREFIX = "/iuap-api-gateway"
AUTH_PREFIX = "/iuap-api-auth"
RATE_LIMIT_MESSAGES = {
    "310032": "当前租户接口调用频率超过限制",
    "310039": "当前应用接口调用频率超过限制",
    "310042": "当日接口调用次数超过限制",
    "310046": "接口调用过于频繁，请稍后重试",
}
Handler = Callable[[Request, SimulatorState], Any]


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def _not_found(path: str) -> JSONResponse:
    return _json({"code": "310404", "message": f"API不存在: {path}"}, 404)


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"{}")
    except ValueError:
        return None


# -- discovery and tokens -----------------------------------------------------------------


async def discovery(request: Request) -> Response:
    state: SimulatorState = request.app.state.sim
    tenant = request.query_params.get("tenantId")
    if tenant != state.tenant_id:
        return _json({"code": BUSINESS_ERROR, "message": f"租户[{tenant}]不存在"})
    base = str(request.base_url).rstrip("/") + "/" + state.knobs.data_centre
    return _json({"code": "00000", "message": "成功！",
                  "data": {"gatewayUrl": base + API_PREFIX, "tokenUrl": base + AUTH_PREFIX}})


async def get_access_token(request: Request) -> Response:
    state: SimulatorState = request.app.state.sim
    if request.path_params["dc"] != state.knobs.data_centre:
        return _not_found(request.url.path)
    q = request.query_params
    return _json(state.issue_token(q.get("appKey"), q.get("timestamp"), q.get("signature")))


# -- business APIs ------------------------------------------------------------------------


async def _merchant_newlist(request: Request, state: SimulatorState) -> Any:
    body = await _body(request)
    return state.list_customers(body) if isinstance(body, dict) else {"code": BUSINESS_ERROR, "message": "bad JSON"}


async def _merchant_batch_save(request: Request, state: SimulatorState) -> Any:
    return state.batch_save_customers(await _body(request))


async def _order_list(request: Request, state: SimulatorState) -> Any:
    body = await _body(request)
    return state.list_orders(body) if isinstance(body, dict) else {"code": BUSINESS_ERROR, "message": "bad JSON"}


async def _order_detail(request: Request, state: SimulatorState) -> Any:
    return state.order_detail(request.query_params.get("id"))


APIS: dict[tuple[str, str], Handler] = {
    ("POST", "/yonbip/digitalModel/merchant/newlist"): _merchant_newlist,
    ("POST", "/yonbip/digitalModel/merchant/batchSave"): _merchant_batch_save,
    ("POST", "/yonbip/sd/voucherorder/list"): _order_list,
    ("GET", "/yonbip/sd/voucherorder/detail"): _order_detail,
}


async def gateway(request: Request) -> Response:
    state: SimulatorState = request.app.state.sim
    path = "/" + request.path_params["path"]
    handler = APIS.get((request.method, path))
    if request.path_params["dc"] != state.knobs.data_centre or handler is None:
        return _not_found(request.url.path)
    state.calls.append((request.method, path))
    if state.knobs.latency_ms:
        await asyncio.sleep(state.knobs.latency_ms / 1000)
    fault = state.take_fault(path)
    problem = "310036" if fault is not None and fault.kind == "invalid_token" else None
    problem = problem or state.token_problem(request.query_params.get("access_token"))
    if problem == "310036" and path in state.knobs.plain_text_token_paths:
        return PlainTextResponse("非法token")
    if problem is not None:
        message = "access_token 不能为空" if problem == "310001" else "非法token"
        return _json({"code": problem, "message": message})
    if fault is not None and fault.kind.startswith("http_"):
        status = int(fault.kind.removeprefix("http_"))
        return _json({"code": str(status), "message": "服务器内部错误"}, status)
    if fault is not None and fault.kind == "rate_limit":
        return _json({"code": fault.code, "message": RATE_LIMIT_MESSAGES.get(fault.code, "调用频率超过限制")})
    return _json(await handler(request, state))


# -- control API --------------------------------------------------------------------------


async def sim_state(request: Request) -> Response:
    return _json(request.app.state.sim.describe())


async def sim_calls(request: Request) -> Response:
    return _json([{"method": m, "path": p} for m, p in request.app.state.sim.calls])


async def sim_knobs(request: Request) -> Response:
    state: SimulatorState = request.app.state.sim
    if request.method == "POST":
        body = await _body(request)
        try:
            state.set_knobs(body if isinstance(body, dict) else {})
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)
    return _json(asdict(state.knobs))


async def sim_faults(request: Request) -> Response:
    body = await _body(request)
    try:
        fault = request.app.state.sim.add_fault(**(body if isinstance(body, dict) else {}))
    except (TypeError, ValueError) as exc:
        return _json({"error": str(exc)}, 400)
    return _json(asdict(fault), 201)


async def sim_expire_tokens(request: Request) -> Response:
    return _json({"expired": request.app.state.sim.expire_tokens()})


async def sim_reset(request: Request) -> Response:
    body = await _body(request)
    options = body if isinstance(body, dict) else {}
    state: SimulatorState = request.app.state.sim
    state.reset(int(options.get("seed", 7)), int(options.get("customers", 60)), int(options.get("orders", 240)))
    return _json(state.describe())


async def sim_create_customer(request: Request) -> Response:
    body = await _body(request)
    answer = request.app.state.sim.batch_save_customers({"data": [{**(body or {}), "_status": "Insert"}]})
    data = answer.get("data") or {}
    if data.get("failCount"):
        return _json({"error": "; ".join(data["messages"])}, 400)
    return _json(data["infos"][0], 201)


async def sim_record(request: Request) -> Response:
    state: SimulatorState = request.app.state.sim
    kind, record_id = request.path_params["kind"], request.path_params["id"]
    try:
        if request.method == "DELETE":
            state.delete(kind, record_id)
            return Response(status_code=204)
        if request.method == "PATCH":
            body = await _body(request)
            values = dict(body) if isinstance(body, dict) else {}
            pubts = values.pop("pubts", None)
            return _json(state.modify(kind, record_id, values, pubts))
        return _json(state.records(kind)[record_id])
    except KeyError:
        return _json({"error": f"no {kind} record {record_id}"}, 404)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status in (404, 405):
        return _not_found(request.url.path)
    return _json({"code": str(status), "message": "error"}, status)


def create_app(state: SimulatorState | None = None) -> Starlette:
    """The simulator as an ASGI app (serve it with uvicorn, or call it in-process with httpx.ASGITransport)."""
    app = Starlette(
        routes=[
            Route("/open-auth/dataCenter/getGatewayAddress", discovery, methods=["GET"]),
            Route("/{dc}" + AUTH_PREFIX + "/open-auth/selfAppAuth/base/v1/getAccessToken", get_access_token,
                  methods=["GET"]),
            Route("/{dc}" + API_PREFIX + "/{path:path}", gateway, methods=["GET", "POST"]),
            Route("/_sim/state", sim_state, methods=["GET"]),
            Route("/_sim/calls", sim_calls, methods=["GET"]),
            Route("/_sim/knobs", sim_knobs, methods=["GET", "POST"]),
            Route("/_sim/faults", sim_faults, methods=["POST"]),
            Route("/_sim/tokens/expire", sim_expire_tokens, methods=["POST"]),
            Route("/_sim/reset", sim_reset, methods=["POST"]),
            Route("/_sim/customers", sim_create_customer, methods=["POST"]),
            Route("/_sim/{kind:str}/{id:str}", sim_record, methods=["GET", "PATCH", "DELETE"]),
        ],
        exception_handlers={404: _http_error, 405: _http_error},
    )
    app.state.sim = state or SimulatorState()
    return app
