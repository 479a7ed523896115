"""Fixtures: the Yonyou simulator in-process (httpx.ASGITransport) and connectors pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from connectors.erp.yonyou import YonyouConnector, YonyouSettings
from connectors.erp.yonyou.simulator import APP_KEY, APP_SECRET, TENANT_ID, SimulatorState, create_app
from hub.sdk import ConnectorContext, Page, StreamState

SIM_URL = "http://yonyou.test"


class Sleeps:
    """Stands in for asyncio.sleep in the vendor client: records the waits, waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def settings(**overrides: Any) -> YonyouSettings:
    values: dict[str, Any] = {"base_url": SIM_URL, "tenant_id": TENANT_ID, "app_key": APP_KEY,
                              "app_secret": APP_SECRET}
    return YonyouSettings.model_validate({**values, **overrides})


@pytest.fixture
def sim() -> SimulatorState:
    return SimulatorState()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def connect(sim: SimulatorState, sleeps: Sleeps) -> Iterator[Callable[..., YonyouConnector]]:
    """``connect(**settings)``: a connector talking to the in-process simulator."""
    made: list[YonyouConnector] = []

    def make(*, clock: Callable[[], datetime] | None = None, engine: Any = None, secret_box: Any = None,
             **overrides: Any) -> YonyouConnector:
        context = ConnectorContext(name="yonyou-main", system="yonyou", engine=engine, secret_box=secret_box,
                                   transport=httpx.ASGITransport(app=create_app(sim)),
                                   clock=clock or (lambda: datetime.now(UTC)))
        connector = YonyouConnector(settings(**overrides), context, sleep=sleeps)
        made.append(connector)
        return connector

    yield make
    for connector in made:
        asyncio.run(connector.aclose())


def read_all(connector: YonyouConnector, stream: str, state: StreamState | None = None, *,
             full: bool = False) -> list[Page]:
    async def collect() -> list[Page]:
        return [page async for page in connector.read(stream, state or StreamState(), full=full)]

    return asyncio.run(collect())


def ids(pages: list[Page]) -> list[str]:
    return [str(record["id"]) for page in pages for record in page.records]
