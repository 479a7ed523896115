"""Prometheus metrics in a registry owned by one app (tests and several apps never share counters).

Requests are labelled by route *template* (``/api/v1/customers/{record_id}``), never
by the raw path, so the number of series stays bounded.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.events.tables import Event
from hub.store.tables import IdentityMatch

UNMATCHED_ROUTE = "unmatched"

EVENTS = Event.__table__  # type: ignore[attr-defined]
MATCHES = IdentityMatch.__table__  # type: ignore[attr-defined]


class HubMetrics:
    """The app's metrics; the database gauges are read at scrape time with two indexed queries."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "hub_http_requests",
            "HTTP requests handled, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "hub_http_request_duration_seconds",
            "Time to handle an HTTP request, by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self.last_event_seq = Gauge(
            "hub_events_last_seq", "Sequence number of the newest event in the outbox.", registry=self.registry
        )
        self.pending_matches = Gauge(
            "hub_identity_matches_pending", "Identity matches waiting for a person to decide.", registry=self.registry
        )
        self.database_up = Gauge(
            "hub_database_up", "1 if the last scrape could read the database, else 0.", registry=self.registry
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self, engine: Engine) -> bytes:
        """Refresh the database gauges, then the text exposition of every metric."""
        try:
            with engine.connect() as conn:
                last_seq = conn.execute(select(func.max(EVENTS.c.seq))).scalar()
                pending = conn.execute(
                    select(func.count()).select_from(MATCHES).where(MATCHES.c.status == "pending")
                ).scalar()
        except SQLAlchemyError:
            self.database_up.set(0)
        else:
            self.database_up.set(1)
            self.last_event_seq.set(last_seq or 0)
            self.pending_matches.set(pending or 0)
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Pure ASGI middleware: counts and times every HTTP request, including ones that fail."""

    def __init__(self, app: ASGIApp, metrics: HubMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_and_record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_record_status)
        finally:
            self.metrics.observe(scope["method"], route_template(scope), status, time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """``/api/v1/customers/{record_id}`` for ``/api/v1/customers/cus_01...``; ``unmatched`` when no route matched.

    Rebuilt from the path and its path parameters, because routers included into
    others keep only their own part of the template.
    """
    route: Any = scope.get("route")
    if route is None:
        return UNMATCHED_ROUTE
    segments = str(scope["path"]).split("/")
    for name, value in (scope.get("path_params") or {}).items():
        for index in range(len(segments) - 1, -1, -1):
            if segments[index] == str(value):
                segments[index] = "{" + name + "}"
                break
        else:  # a value spanning segments ({path:path}): never put a raw path in a label
            return str(getattr(route, "path_format", None) or getattr(route, "path", UNMATCHED_ROUTE))
    return "/".join(segments)
