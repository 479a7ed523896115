"""``hub serve``: check the workspace and the database, then run the HTTP server."""

from __future__ import annotations

from typing import Annotated

import typer

from hub.cli.runtime import database, display_url, info, load_settings, require_current_schema
from hub.cli.supervise import WorkerProcesses
from hub.errors import ConfigError
from hub.workspace import load_workspace

APP_FACTORY = "hub.api.app:app_with_workers_from_environment"  # API + worker + scheduler
API_ONLY_FACTORY = "hub.api.app:app_from_environment"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def serve_command(
    host: Annotated[str | None, typer.Option(help="Address to listen on [default: HUB_HOST or 127.0.0.1].")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port to listen on [default: HUB_PORT or 8000].")
    ] = None,
    no_worker: Annotated[
        bool,
        typer.Option("--no-worker", help="Serve the API only: no worker and no scheduler "
                     "(run `hub worker --scheduler` and more `hub worker` processes instead)."),
    ] = False,
    workers: Annotated[int, typer.Option(min=1, max=32, help="How many worker processes to start.")] = 1,
    in_process: Annotated[
        bool, typer.Option("--in-process", help="Run the worker and the scheduler inside the API process "
                           "(one process; webhook latency suffers under load).")
    ] = False,
) -> None:
    """Run the hub: the HTTP API (/api/v1), probes and API docs (/docs), plus a worker and the scheduler.

    The worker runs queued jobs (syncs, inbound webhooks) and outbound deliveries; the
    scheduler queues each connector entity's sync on its hub.yaml schedule. They run in
    a worker process that this command starts beside the API, restarts if it dies and
    stops with it. With PostgreSQL you may run several `hub serve` and `hub worker`
    processes; exactly one scheduler is active among them.

    Before starting it loads hub.yaml (a configuration error stops it, exit code 2)
    and checks that the database schema is current (if not, run `hub db upgrade`;
    exit code 1). --host and --port override HUB_HOST and HUB_PORT.

    \b
    Examples:
      hub serve
      hub serve --host 0.0.0.0 --port 8080
      hub serve --workers 2          # two worker processes beside the API
      hub serve --no-worker          # API only; jobs run in `hub worker` processes
      HUB_WORKSPACE=/srv/hub HUB_DATABASE_URL=postgresql://hub@db/hub hub serve
    """
    settings = load_settings()
    workspace = load_workspace(settings.workspace)
    with database(settings) as engine:
        require_current_schema(engine)
    log_level = settings.log_level.lower()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"HUB_LOG_LEVEL: {settings.log_level!r} is not one of {', '.join(LOG_LEVELS)}")
    bind_host = host if host is not None else settings.host
    bind_port = port if port is not None else settings.port
    info(f"workspace {workspace.root}")
    info(f"database  {display_url(settings.effective_database_url)}")
    info(f"serving   http://{bind_host}:{bind_port}  (API docs at /docs)")
    if no_worker:
        info("jobs      run by `hub worker` processes (--no-worker)")
    elif in_process:
        info("jobs      a worker and the scheduler run in this process (--in-process)")
    else:
        info(f"jobs      {workers} worker process(es); the first also runs the scheduler")

    import uvicorn  # imported here: every other command starts faster without it

    from hub.logs import logging_config

    children = None if no_worker or in_process else WorkerProcesses(workers)
    if children is not None:
        children.start()
    try:
        uvicorn.run(
            APP_FACTORY if in_process and not no_worker else API_ONLY_FACTORY,
            factory=True, host=bind_host, port=bind_port, log_level=log_level,
            log_config=logging_config(log_level),  # every handler masks phones, e-mails and keys
        )
    finally:
        if children is not None:
            children.stop()
