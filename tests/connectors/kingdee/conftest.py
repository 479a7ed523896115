"""Fixtures: the Kingdee simulator in-process (httpx.ASGITransport) and connectors pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from connectors.erp.kingdee import KingdeeConnector, KingdeeSettings
from connectors.erp.kingdee.simulator import KingdeeSimulator
from hub.sdk import ConnectorContext, Page, StreamState

SIM_URL = "http://kingdee.test/k3cloud/"


class Sleeps:
    """Stands in for asyncio.sleep in the vendor client: records the waits, waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def small_simulator(**overrides: Any) -> KingdeeSimulator:
    values: dict[str, Any] = {"customers": 30, "orders": 120, "production_orders": 3}
    return KingdeeSimulator(7, **{**values, **overrides})


def settings_for(sim: KingdeeSimulator, **overrides: Any) -> KingdeeSettings:
    a = sim.account
    values: dict[str, Any] = {"base_url": SIM_URL, "acct_id": a.acct_id, "username": a.username,
                              "password": a.password, "page_size": 50}
    if overrides.get("auth") == "signature" or "app_id" in overrides:
        values.update(app_id=a.app_id, app_secret=a.app_secret)
    values.update(overrides)
    return KingdeeSettings.model_validate(values)


@pytest.fixture
def sim() -> KingdeeSimulator:
    return small_simulator()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def connect(sim: KingdeeSimulator, sleeps: Sleeps) -> Iterator[Callable[..., KingdeeConnector]]:
    """``connect(**settings)``: a connector talking to the in-process simulator."""
    made: list[KingdeeConnector] = []

    def make(*, transport: httpx.AsyncBaseTransport | None = None, engine: Any = None, secret_box: Any = None,
             **overrides: Any) -> KingdeeConnector:
        context = ConnectorContext("kingdee-main", "kingdee", engine=engine, secret_box=secret_box,
                                   transport=transport or httpx.ASGITransport(app=sim.app))
        connector = KingdeeConnector(settings_for(sim, **overrides), context, sleep=sleeps)
        made.append(connector)
        return connector

    yield make
    for connector in made:
        asyncio.run(connector.aclose())


def read_all(connector: KingdeeConnector, stream: str, state: StreamState | None = None, *,
             full: bool = False) -> list[Page]:
    async def collect() -> list[Page]:
        return [page async for page in connector.read(stream, state or StreamState(), full=full)]

    return asyncio.run(collect())


def records(pages: list[Page]) -> list[dict[str, Any]]:
    return [record for page in pages for record in page.records]


def numbers(pages: list[Page], key: str = "FBillNo") -> list[str]:
    return [str(record[key]) for record in records(pages)]
