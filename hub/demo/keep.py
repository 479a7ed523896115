"""``hub demo --keep``: after the report, serve the hub's API with its worker over the demo's workspace.

The simulators keep running, so what the demo did can be explored in the API, and more
can be done in the simulators (their ``/_sim`` control APIs) and synced (every minute, by
the scheduler, or at once with ``hub sync``). Ctrl-C stops everything.
"""

from __future__ import annotations

import asyncio

import typer
import uvicorn

from hub.api.app import create_app
from hub.api.hotpaths import HotPaths
from hub.demo.play import Demo
from hub.demo.systems import Systems, listening_socket
from hub.logs import logging_config
from hub.security.api_keys import Role, create_api_key

API_PORT = 8000


def serve_for_exploring(demo: Demo, systems: Systems, port: int | None = None) -> None:
    """Run the API (with a worker and the scheduler) until Ctrl-C; print where everything is first."""
    with demo.engine.begin() as conn:
        _, key = create_api_key(conn, Role.ADMIN, "hub-demo")
    spare = asyncio.run(demo.spare_order())
    sock = listening_socket(port or API_PORT)
    if port is not None and sock.getsockname()[1] != port:
        sock.close()
        raise typer.BadParameter(f"port {port} is in use", param_hint="--port")
    api = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = HotPaths(create_app(demo.settings, engine=demo.engine, rules=demo.workspace.store_rules, background=True))
    config = uvicorn.Config(app, log_level="warning", log_config=logging_config("warning"))
    kingdee, wecom, dingtalk = systems.url("kingdee"), systems.url("wecom"), systems.url("dingtalk")
    typer.echo("\n".join([
        "",
        "Everything keeps running: the hub (API, worker, scheduler) and the simulators. Ctrl-C stops it all.",
        "演示环境继续运行（中枢 API、后台任务和各模拟器），按 Ctrl-C 全部停止。",
        f"  API docs    {api}/docs",
        f"  admin key   {key}",
        f"  try         curl -H 'Authorization: Bearer {key}' {api}/api/v1/flow-runs",
        f"              curl -H 'Authorization: Bearer {key}' '{api}/api/v1/production-orders'",
        f"  Kingdee     {kingdee}/k3cloud/   control: {kingdee}/_sim/forms/PRD_MO/documents",
        f"  WeCom       {wecom}/cgi-bin/     control: {wecom}/_sim/messages",
        f"  DingTalk    {dingtalk}           control: {dingtalk}/_sim/work-notifications",
        f"  workspace   {demo.root}   (the CLI: cd there, then e.g. hub flows runs, hub sync kingdee-main)",
    ]))
    if spare is not None:
        typer.echo("\n".join([
            f"  Kingdee order {spare} is a draft again: approve it, the scheduler syncs it within a minute and the "
            "flows run / 审核这张订单，一分钟内同步后流程即会运行:",
            f"    curl -X POST {kingdee}/_sim/forms/SAL_SaleOrder/modify -H 'Content-Type: application/json' "
            f"-d '{{\"numbers\": [\"{spare}\"], \"set\": {{\"FDocumentStatus\": \"C\"}}}}'",
        ]))
    server = uvicorn.Server(config)
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass  # uvicorn shuts down gracefully on Ctrl-C, then raises it again for the caller
    finally:
        sock.close()
    typer.echo(f"stopped / 已停止; the workspace and its hub.db stay in {demo.root}")
