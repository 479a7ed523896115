"""Fixtures: the WeCom simulator in-process (httpx.ASGITransport) and connectors pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from connectors.wecom import WeComConnector, WeComSettings
from connectors.wecom.simulator import CONTRACT_TEMPLATE, WeComSimulator
from hub.sdk import ConnectorContext, Page, StreamState

SIM_URL = "http://wecom.test/cgi-bin/"


class Sleeps:
    """Stands in for asyncio.sleep in the vendor client: records the waits, waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def small_simulator(**overrides: Any) -> WeComSimulator:
    values: dict[str, Any] = {"employees": 6, "contacts": 30, "approvals": 30}
    return WeComSimulator(7, **{**values, **overrides})


def settings_for(sim: WeComSimulator, **overrides: Any) -> WeComSettings:
    a = sim.account
    values: dict[str, Any] = {
        "base_url": SIM_URL, "corp_id": a.corp_id, "corp_secret": a.corp_secret, "agent_id": a.agent_id,
        "callback_token": a.callback_token, "encoding_aes_key": a.encoding_aes_key,
        "approval_templates": [CONTRACT_TEMPLATE], "page_size": 10, "approval_reference_control": "外部单号",
        "max_calls_per_second": None,
    }
    values.update(overrides)
    return WeComSettings.model_validate(values)


@pytest.fixture
def sim() -> WeComSimulator:
    return small_simulator()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def connect(sim: WeComSimulator, sleeps: Sleeps) -> Iterator[Callable[..., WeComConnector]]:
    """``connect(**settings)``: a connector talking to the in-process simulator."""
    made: list[WeComConnector] = []

    def make(*, transport: httpx.AsyncBaseTransport | None = None, engine: Any = None, secret_box: Any = None,
             **overrides: Any) -> WeComConnector:
        context = ConnectorContext("wecom-main", "wecom", engine=engine, secret_box=secret_box,
                                   transport=transport or httpx.ASGITransport(app=sim.app))
        connector = WeComConnector(settings_for(sim, **overrides), context, sleep=sleeps)
        made.append(connector)
        return connector

    yield make
    for connector in made:
        asyncio.run(connector.aclose())


def read_all(connector: WeComConnector, stream: str, state: StreamState | None = None, *,
             full: bool = False) -> list[Page]:
    async def collect() -> list[Page]:
        return [page async for page in connector.read(stream, state or StreamState(), full=full)]

    return asyncio.run(collect())


def records(pages: list[Page]) -> list[dict[str, Any]]:
    return [record for page in pages for record in page.records]
