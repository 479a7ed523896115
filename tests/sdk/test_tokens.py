"""Tokens: cached, refreshed early, fetched once under concurrency, shared through the database."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from hub.sdk import TokenManager, TokenStore, credential_key
from hub.security.secrets import SecretBox


class Vendor:
    def __init__(self) -> None:
        self.issued = 0

    async def fetch(self) -> tuple[str, float]:
        self.issued += 1
        await asyncio.sleep(0.01)  # concurrent callers pile up while the vendor answers
        return f"token-{self.issued}", 7200.0


def test_concurrent_callers_share_one_fetch() -> None:
    vendor = Vendor()
    manager = TokenManager(credential_key("corp", "secret"), vendor.fetch)

    async def many() -> list[str]:
        return await asyncio.gather(*(manager.get() for _ in range(20)))

    tokens = asyncio.run(many())

    assert set(tokens) == {"token-1"}
    assert vendor.issued == 1


def test_a_token_is_refreshed_before_it_expires() -> None:
    now = [1000.0]
    vendor = Vendor()
    manager = TokenManager("k", vendor.fetch, refresh_margin=300, clock=lambda: now[0])

    first = asyncio.run(manager.get())
    now[0] += 7200 - 299  # inside the refresh margin
    second = asyncio.run(manager.get())

    assert (first, second) == ("token-1", "token-2")


def test_invalidating_a_stale_token_twice_refreshes_once() -> None:
    vendor = Vendor()
    manager = TokenManager("k", vendor.fetch)

    async def scenario() -> str:
        stale = await manager.get()
        await manager.invalidate(stale)
        fresh = await manager.get()
        await manager.invalidate(stale)  # a second caller reporting the same stale token
        return await manager.get() if fresh else ""

    assert asyncio.run(scenario()) == "token-2"
    assert vendor.issued == 2


def test_processes_share_the_token_through_the_database_encrypted(engine: Engine) -> None:
    box = SecretBox(SecretBox.generate_key())
    vendor = Vendor()
    one = TokenManager("corp-1", vendor.fetch, TokenStore(engine, box))
    other_process = TokenManager("corp-1", vendor.fetch, TokenStore(engine, box))

    first = asyncio.run(one.get())
    second = asyncio.run(other_process.get())

    assert first == second == "token-1"
    assert vendor.issued == 1
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT token FROM connector_tokens").scalar_one()
    assert "token-1" not in stored


def test_a_token_shorter_lived_than_the_margin_is_reused_until_half_its_life() -> None:
    now = [0.0]
    issued = 0

    async def short_lived() -> tuple[str, float]:
        nonlocal issued
        issued += 1
        return f"t{issued}", 120.0

    manager = TokenManager("k", short_lived, refresh_margin=300, clock=lambda: now[0])
    tokens = []
    for elapsed in (0, 30, 59, 61):
        now[0] = elapsed
        tokens.append(asyncio.run(manager.get()))

    assert tokens == ["t1", "t1", "t1", "t2"]
