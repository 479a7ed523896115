"""The app factory. Nothing is built at import time: ``uvicorn --factory hub.api.app:app_from_environment``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from hub import __version__
from hub.api.errors import install_error_handlers
from hub.api.hotpaths import HotPaths
from hub.api.metrics import HubMetrics, MetricsMiddleware
from hub.api.routes import api_v1_router, probe_routers
from hub.api.routes import callbacks as vendor_callbacks
from hub.api.state import AppState
from hub.background import Background
from hub.db.engine import create_db_engine
from hub.settings import Settings, get_settings
from hub.store.rules import StoreRules
from webhooks.inbound import receiver as inbound_webhooks

DESCRIPTION = """\
The integration hub's HTTP API: canonical customers, orders, tickets, contracts,
projects and production orders joined from Kingdee, Yonyou, WeCom, DingTalk and mail.

Authenticate with `Authorization: Bearer <key>` (create one with `hub keys create`).
Roles: admin > operator > viewer. Errors are `{"error": {"code", "message", "details"}}`.
"""


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    rules: StoreRules | None = None,
    background: bool = False,
    concurrency: int = 4,
) -> FastAPI:
    """Build an app; pass ``engine`` to share one (tests, ``hub serve``), else one is made from settings.

    ``background=True`` also runs a worker (``concurrency`` jobs at a time) and the
    scheduler while the app runs: ``hub serve`` on the embedded default.
    """
    settings = settings if settings is not None else get_settings()
    db_engine = engine if engine is not None else create_db_engine(settings.effective_database_url)
    state = AppState(
        settings=settings,
        engine=db_engine,
        rules=rules if rules is not None else StoreRules(),
        metrics=HubMetrics(),
        owns_engine=engine is None,
        background=Background(db_engine, settings, concurrency=concurrency) if background else None,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if state.background is not None:
            await state.background.start()
        try:
            yield
        finally:
            if state.background is not None:
                await state.background.stop()
            if state.owns_engine:
                state.engine.dispose()

    app = FastAPI(
        title="Integration hub",
        description=DESCRIPTION,
        version=__version__,
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.hub = state
    install_error_handlers(app)
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    # First: the route upstream systems hit hardest is matched before the others are tried.
    app.include_router(inbound_webhooks.router)  # /webhooks/in/{source}: verified per source, no API key
    app.include_router(vendor_callbacks.router)  # /callbacks/{type}/{connector}: signed by the vendor, no API key
    for router in probe_routers():
        app.include_router(router)
    app.include_router(api_v1_router())
    return app


def app_from_environment() -> HotPaths:
    """The uvicorn factory: settings from ``HUB_*`` variables and the workspace's rules, read at start."""
    from hub.workspace import load_workspace  # the workspace is only needed by a real server

    settings = get_settings()
    return HotPaths(create_app(settings, rules=load_workspace(settings.workspace).store_rules))


def app_with_workers_from_environment() -> HotPaths:
    """The uvicorn factory of ``hub serve``: the API plus a worker and the scheduler in the same process."""
    from hub.workspace import load_workspace

    settings = get_settings()
    return HotPaths(create_app(settings, rules=load_workspace(settings.workspace).store_rules, background=True))
