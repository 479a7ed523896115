"""Benchmark: signed outbound deliveries with durable attempt records, vs a raw POST loop, in one run.

Run:  .venv/bin/python bench/webhooks_outbound.py [--n 20000] [--subscriptions 1] [--concurrency 64]
                   [--backend sqlite|postgresql] [--http aiohttp|httpx] [--loop uvloop|asyncio]

A receiver (uvicorn + httptools, answering 204) runs in its own process on 127.0.0.1.
Measured in the same run, against the same receiver and with the same concurrency:

- raw httpx: a bare ``httpx.AsyncClient`` POST loop (no signing, no database);
- raw aiohttp: the same with ``aiohttp.ClientSession`` (when aiohttp is installed);
- hub: N events appended (fan-out writes N deliveries; timed apart), then the
  Dispatcher claims them with leases, signs each (Standard Webhooks v1), POSTs it
  through the SSRF-guarded transport (``--http``: aiohttp via httpx-aiohttp, or
  httpx's own) and records every attempt and outcome in the database. Deliveries/s
  counts from the first claim to the last committed record.

``--subscriptions K`` spreads the events over K subscriptions (a filter on a shard
field), each allowed ``--concurrency`` requests in flight; the raw loops then run
K x concurrency requests at once.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

# Run as a script, bench/ comes first on sys.path and bench/webhooks.py would hide the webhooks package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import Engine, func, select

from hub.db.engine import create_db_engine
from hub.db.migrate import upgrade
from hub.db.types import utcnow
from hub.events.outbox import NewEvent, append_events
from hub.security.secrets import SecretBox
from hub.workspace.config import SubscriptionConfig
from webhooks.outbound.dispatcher import Dispatcher
from webhooks.outbound.fanout import encode_body
from webhooks.outbound.policy import DeliveryPolicy
from webhooks.outbound.subscriptions import create_subscription
from webhooks.outbound.tables import ATTEMPTS, DELIVERIES
from webhooks.outbound.transports import Http, aiohttp_available

POSTGRES_ADMIN = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
LOCAL = [ipaddress.ip_network("127.0.0.0/8")]


def order(i: int) -> dict[str, Any]:
    """A canonical order of realistic size (about 1 KB of JSON)."""
    return {
        "id": f"ord_{i:08d}", "entity": "order", "number": f"SO-2026-{i:06d}", "customer_id": f"cus_{i % 997:06d}",
        "status": "confirmed", "currency": "CNY", "total": f"{1000 + i % 500}.50", "payment_status": "unpaid",
        "paid_amount": "0.00", "ordered_at": "2026-11-25T08:00:00+08:00",
        "lines": [{"sku": f"SKU-{k}", "name": f"数控机床配件 {k}", "qty": 2, "unit_price": "250.25",
                   "amount": "500.50"} for k in range(3)],
        "version": 2, "created_at": "2026-11-25T00:00:00Z", "updated_at": "2026-11-25T00:00:01Z",
        "refs": [{"system": "kingdee", "object": "SAL_SaleOrder", "external_id": f"SO-2026-{i:06d}"}],
    }


# -- the receiver ------------------------------------------------------------------------------------------


async def _receiver_app(scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                        send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def serve(port: int) -> None:
    import uvicorn

    uvicorn.run(_receiver_app, host="127.0.0.1", port=port, http="httptools", loop="uvloop", log_level="warning",
                access_log=False, lifespan="off")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_receiver() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])  # noqa: S603 - this very script
    deadline = time.time() + 15
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"http://127.0.0.1:{port}/hook"
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("the receiver did not start")


# -- baselines -----------------------------------------------------------------------------------------------


async def raw_httpx(url: str, n: int, concurrency: int, body: bytes) -> float:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:
        return await _loop(lambda: client.post(url, content=body, headers=_headers()), n, concurrency)


async def raw_aiohttp(url: str, n: int, concurrency: int, body: bytes) -> float | None:
    try:
        import aiohttp
    except ImportError:
        return None
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def post() -> None:
            async with session.post(url, data=body, headers=_headers()) as response:
                await response.read()

        return await _loop(post, n, concurrency)


def _headers() -> dict[str, str]:
    return {"content-type": "application/json", "webhook-id": "evt_x", "webhook-timestamp": str(int(time.time())),
            "webhook-signature": "v1,x"}


async def _loop(call: Callable[[], Awaitable[Any]], n: int, concurrency: int) -> float:
    remaining = n

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - start)


# -- the hub -------------------------------------------------------------------------------------------------


def prepare(engine: Engine, box: SecretBox, url: str, n: int, concurrency: int, subscriptions: int) -> float:
    upgrade(engine)
    with engine.begin() as conn:
        for k in range(subscriptions):
            spec = SubscriptionConfig(url=url, events=["order.*"], concurrency=concurrency,
                                      filter={"shard": k} if subscriptions > 1 else None)
            create_subscription(conn, box, f"bench-{k}", spec, now=utcnow())
    start = time.perf_counter()
    for offset in range(0, n, 1000):
        events = [NewEvent("order.confirmed", "order", f"ord_{i:08d}", 2, {**order(i), "shard": i % subscriptions})
                  for i in range(offset, min(n, offset + 1000))]
        with engine.begin() as conn:
            append_events(conn, events, now=utcnow())
    return n / (time.perf_counter() - start)


async def deliver(engine: Engine, box: SecretBox, concurrency: int, in_flight: int, http: Http) -> float:
    policy = DeliveryPolicy(concurrency=concurrency)
    async with Dispatcher(engine, box=box, policy=policy, allowed=LOCAL, http=http,
                          max_in_flight=in_flight) as dispatcher:
        start = time.perf_counter()
        await dispatcher.drain()
        return time.perf_counter() - start


def check(engine: Engine, n: int) -> None:
    with engine.connect() as conn:
        succeeded = conn.execute(select(func.count()).where(DELIVERIES.c.status == "succeeded")).scalar()
        attempts = conn.execute(select(func.count()).select_from(ATTEMPTS)).scalar()
    assert succeeded == n, f"{succeeded} of {n} deliveries succeeded"
    assert attempts == n, f"{attempts} attempts recorded for {n} deliveries"


def run_hub(url: str, args: argparse.Namespace, runner: Callable[[Awaitable[Any]], Any]) -> tuple[float, float]:
    box = SecretBox(SecretBox.generate_key())
    in_flight = args.concurrency * args.subscriptions
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            engine = create_db_engine(f"sqlite:///{tmp}/bench.db")
            fanout = prepare(engine, box, url, args.n, args.concurrency, args.subscriptions)
            seconds = runner(deliver(engine, box, args.concurrency, in_flight, args.http))
            check(engine, args.n)
            engine.dispose()
            return fanout, args.n / seconds
    import psycopg

    name = f"hub_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = POSTGRES_ADMIN.rsplit("/", 1)[0]
        engine = create_db_engine(f"{base}/{name}")
        fanout = prepare(engine, box, url, args.n, args.concurrency, args.subscriptions)
        seconds = runner(deliver(engine, box, args.concurrency, in_flight, args.http))
        check(engine, args.n)
        engine.dispose()
        return fanout, args.n / seconds
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--subscriptions", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=64, help="per subscription")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--http", choices=["aiohttp", "httpx"], default="aiohttp" if aiohttp_available() else "httpx")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.loop == "uvloop":
        import uvloop

        def runner(coro: Awaitable[Any]) -> Any:
            return uvloop.run(coro)  # type: ignore[arg-type]
    else:
        def runner(coro: Awaitable[Any]) -> Any:
            return asyncio.run(coro)  # type: ignore[arg-type]

    body = encode_body({"type": "order.confirmed", "timestamp": "2026-11-25T00:00:00Z", "data": order(1)}).encode()
    process, url = start_receiver()
    try:
        total = args.concurrency * args.subscriptions
        runner(raw_httpx(url, 2000, total, body))  # warm up the receiver
        httpx_rate = runner(raw_httpx(url, args.n, total, body))
        aiohttp_rate = runner(raw_aiohttp(url, args.n, total, body))
        fanout, hub_rate = run_hub(url, args, runner)
    finally:
        process.terminate()
        process.wait()
    print(f"{args.n} deliveries, body {len(body)} B, {args.subscriptions} subscription(s) x concurrency "
          f"{args.concurrency}, {args.backend}, hub over {args.http} (SSRF-guarded), {args.loop}")
    print(f"  raw httpx POST loop      {httpx_rate:8.0f} req/s")
    if aiohttp_rate is not None:
        print(f"  raw aiohttp POST loop    {aiohttp_rate:8.0f} req/s")
    print(f"  hub fan-out (events in)  {fanout:8.0f} deliveries written/s")
    print(f"  hub delivered            {hub_rate:8.0f} deliveries/s (signed, attempts recorded)"
          f"  = {hub_rate / httpx_rate:.2f}x raw httpx"
          + (f", {hub_rate / aiohttp_rate:.2f}x raw aiohttp" if aiohttp_rate else ""))


if __name__ == "__main__":
    main()
