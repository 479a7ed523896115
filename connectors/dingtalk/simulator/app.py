"""HTTP around the simulator: both DingTalk hosts' paths in one app, and a ``/_sim`` control API.

Point both ``base_url`` and ``base_url_old`` at it::

    v1.0 (api.dingtalk.com)    POST /v1.0/oauth2/accessToken
                               POST /v1.0/workflow/processes/instanceIds/query
                               GET  /v1.0/workflow/processInstances?processInstanceId=
                               POST /v1.0/workflow/processInstances
                               POST /v1.0/todo/users/{unionId}/tasks
                               GET  /v1.0/todo/users/{unionId}/tasks/sources/{sourceId}
    old (oapi.dingtalk.com)    GET  /gettoken?appkey=&appsecret=
                               POST /topapi/message/corpconversation/asyncsend_v2?access_token=
                               POST /robot/send?access_token=&timestamp=&sign=

Control API (tests, demos)::

    GET  /_sim/stats   GET /_sim/account   GET|POST /_sim/knobs   POST /_sim/expire-tokens
    GET  /_sim/instances?process_code=&status=      POST /_sim/instances/{id}/finish {"result": "agree"}
    GET  /_sim/events   GET /_sim/robot-messages   GET /_sim/work-notifications   GET /_sim/todos
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from connectors.dingtalk.simulator.core import DingTalkSimulator
from connectors.dingtalk.simulator.gateway import Reply


def _json(reply: Reply) -> Response:
    status, body, headers = reply
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(content, status, headers=headers, media_type="application/json;charset=utf-8")


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        return None


def create_app(sim: DingTalkSimulator) -> FastAPI:
    app = FastAPI(title="DingTalk simulator", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def latency(request: Request, call_next: Any) -> Any:
        if sim.knobs.latency_ms and not request.url.path.startswith("/_sim"):
            await asyncio.sleep(sim.knobs.latency_ms / 1000)
        return await call_next(request)

    def headers_of(request: Request) -> dict[str, str]:
        return {k.lower(): v for k, v in request.headers.items()}

    # -- v1.0 -----------------------------------------------------------------------------------

    @app.post("/v1.0/oauth2/accessToken")
    async def new_token(request: Request) -> Response:
        return _json(sim.handle_new_token(await _body(request)))

    @app.post("/v1.0/workflow/processes/instanceIds/query")
    async def list_ids(request: Request) -> Response:
        return _json(sim.handle_list_ids(headers_of(request), await _body(request)))

    @app.get("/v1.0/workflow/processInstances")
    async def get_instance(request: Request) -> Response:
        return _json(sim.handle_get_instance(headers_of(request), request.query_params.get("processInstanceId")))

    @app.post("/v1.0/workflow/processInstances")
    async def create_instance(request: Request) -> Response:
        return _json(sim.handle_create_instance(headers_of(request), await _body(request)))

    @app.post("/v1.0/todo/users/{union_id}/tasks")
    async def create_todo(union_id: str, request: Request) -> Response:
        return _json(sim.handle_create_todo(headers_of(request), union_id, await _body(request)))

    @app.get("/v1.0/todo/users/{union_id}/tasks/sources/{source_id}")
    async def find_todo(union_id: str, source_id: str, request: Request) -> Response:
        return _json(sim.handle_find_todo(headers_of(request), union_id, source_id))

    # -- old --------------------------------------------------------------------------------------

    @app.get("/gettoken")
    async def old_token(request: Request) -> Response:
        return _json(sim.handle_old_token(dict(request.query_params)))

    @app.post("/topapi/message/corpconversation/asyncsend_v2")
    async def work_notification(request: Request) -> Response:
        return _json(sim.handle_work_notification(dict(request.query_params), await _body(request)))

    @app.post("/robot/send")
    async def robot(request: Request) -> Response:
        return _json(sim.handle_robot(dict(request.query_params), await _body(request)))

    # -- control ------------------------------------------------------------------------------------

    @app.get("/_sim/stats")
    async def stats() -> Response:
        return JSONResponse(sim.stats())

    @app.get("/_sim/account")
    async def account() -> Response:
        return JSONResponse(asdict(sim.account))

    @app.api_route("/_sim/knobs", methods=["GET", "POST"])
    async def knobs(request: Request) -> Response:
        if request.method == "POST":
            try:
                sim.set_knobs(**(await request.json()))
            except KeyError as exc:
                return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse(asdict(sim.knobs))

    @app.post("/_sim/expire-tokens")
    async def expire() -> Response:
        sim.expire_tokens()
        return JSONResponse({"expired": True})

    @app.get("/_sim/instances")
    async def instances(request: Request) -> Response:
        q = request.query_params
        found = sim.find(process_code=q.get("process_code"), status=q.get("status"), result=q.get("result"))
        return JSONResponse([{"processInstanceId": i.id, "processCode": i.process_code, **i.detail()} for i in found])

    @app.post("/_sim/instances/{instance_id}/finish")
    async def finish(instance_id: str, request: Request) -> Response:
        body = await _body(request) or {}
        if instance_id not in sim.instances:
            return JSONResponse({"error": f"no instance {instance_id}"}, 404)
        event = sim.finish(instance_id, str(body.get("result", "agree")), status=str(body.get("status", "COMPLETED")))
        return JSONResponse(event)

    @app.get("/_sim/events")
    async def events() -> Response:
        return JSONResponse(sim.events)

    @app.get("/_sim/robot-messages")
    async def robot_messages() -> Response:
        return JSONResponse(sim.robot_messages)

    @app.get("/_sim/work-notifications")
    async def work_notifications() -> Response:
        return JSONResponse(sim.work_notifications)

    @app.get("/_sim/todos")
    async def todos() -> Response:
        return JSONResponse(sim.todos)

    return app
