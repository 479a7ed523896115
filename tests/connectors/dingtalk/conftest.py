"""Fixtures: the DingTalk simulator in-process (httpx.ASGITransport) and connectors pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from connectors.dingtalk import DingTalkConnector, DingTalkSettings
from connectors.dingtalk.simulator import CONTRACT_CODE, REFERENCE_FIELD, DingTalkSimulator
from hub.sdk import ConnectorContext, Page, StreamState

SIM_URL = "http://dingtalk.test"
STREAM = "process_instance"


class Sleeps:
    """Stands in for asyncio.sleep in the connector: records the waits, waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def small_simulator(**overrides: Any) -> DingTalkSimulator:
    values: dict[str, Any] = {"contracts": 45, "leaves": 6}
    return DingTalkSimulator(7, **{**values, **overrides})


def settings_for(sim: DingTalkSimulator, **overrides: Any) -> DingTalkSettings:
    a = sim.account
    values: dict[str, Any] = {
        "base_url": SIM_URL, "base_url_old": SIM_URL, "app_key": a.app_key, "app_secret": a.app_secret,
        "agent_id": a.agent_id, "robot_access_token": a.robot_access_token, "robot_secret": a.robot_secret,
        "callback_token": a.callback_token, "aes_key": a.aes_key, "process_codes": [CONTRACT_CODE],
        "approval_reference_field": REFERENCE_FIELD,
    }
    values.update(overrides)
    return DingTalkSettings.model_validate(values)


@pytest.fixture
def sim() -> DingTalkSimulator:
    return small_simulator()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def connect(sim: DingTalkSimulator, sleeps: Sleeps) -> Iterator[Callable[..., DingTalkConnector]]:
    """``connect(**settings)``: a connector talking to the in-process simulator."""
    made: list[DingTalkConnector] = []

    def make(*, transport: httpx.AsyncBaseTransport | None = None, **overrides: Any) -> DingTalkConnector:
        context = ConnectorContext("dingtalk-main", "dingtalk", transport=transport or httpx.ASGITransport(app=sim.app))
        connector = DingTalkConnector(settings_for(sim, **overrides), context, sleep=sleeps)
        made.append(connector)
        return connector

    yield make
    for connector in made:
        asyncio.run(connector.aclose())


def read_all(connector: DingTalkConnector, state: StreamState | None = None, *, full: bool = False) -> list[Page]:
    async def collect() -> list[Page]:
        return [page async for page in connector.read(STREAM, state or StreamState(), full=full)]

    return asyncio.run(collect())


def ids(pages: list[Page]) -> list[str]:
    return [str(record["processInstanceId"]) for page in pages for record in page.records]
