"""Benchmark: signed inbound webhook ingest with a durable write vs a bare FastAPI endpoint.

Run:  .venv/bin/python bench/webhooks_inbound.py [--seconds 10] [--connections 64] [--rate 1000] [--workers]

Both servers run as uvicorn subprocesses on 127.0.0.1 with the same settings (one
process, uvicorn's defaults: uvloop + httptools, access log off), one after the other:

- **bare**: a FastAPI app with one ``POST /webhooks/in/{source}`` that reads the body
  and answers 202 ``{"id"}``: no verification, no storage.
- **hub**: the hub's app (``hub.api.app:app_from_environment``, API only, as
  ``hub serve --no-worker``) on a SQLite workspace (WAL, ``synchronous=NORMAL``) with a
  ``standard-webhooks`` source: every request is verified, stored (raw body, headers,
  dedupe key, processing job) and committed before its 202. ``--workers`` also measures
  the hub with a worker mapping and storing every message as it comes: **hub+worker** in
  the API's process (``hub serve --in-process``) and **hub|worker** in a process of its own
  (``hub worker``, as ``hub serve`` starts it). Before their latency phase the backlog of
  the throughput phase is worked off, so that phase is 1,000 requests/s sustained.

The load comes from this process: a minimal HTTP/1.1 keep-alive client on asyncio
(cheaper per request than any client library, so the servers are what is measured),
every request signed with its own webhook-id (no duplicates). Two phases per server:

1. *throughput*: ``--connections`` connections as fast as they go for ``--seconds``;
2. *latency*: an open loop at ``--rate`` requests/s for ``--seconds``, latency measured
   from each request's scheduled start (a slow server is not excused by sending less).

Targets (issue 5): hub ≥ 0.4x the bare rate; p99 < 25 ms at 1,000 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

# Run as a script, bench/ comes first on sys.path and bench/webhooks.py would hide the webhooks package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi import FastAPI, Request, Response

SECRET = "whsec_" + base64.b64encode(b"bench-secret-0123456789abcdefgh").decode()
HUB_YAML = """\
sources:
  shop:
    verify: {scheme: standard-webhooks, secret: "${SHOP_SECRET}"}
    mapping: shop-order
"""
MAPPING = """\
version: 1
name: shop-order
system: shop
object: order
entity: order
id: order_id
fields:
  number: order_id
  status: {from: state, map: {new: draft, paid: confirmed}}
  currency: {const: CNY}
  total: {from: amount, pipe: [{decimal: 2}]}
"""


def bare_app() -> FastAPI:
    """The baseline: the same route, reading the body and answering 202, nothing else."""
    app = FastAPI()
    counter = iter(range(1, 1 << 62))

    @app.post("/webhooks/in/{source}", status_code=202)
    async def receive(source: str, request: Request) -> Response:
        await request.body()
        return Response(json.dumps({"id": f"in_{next(counter)}"}), status_code=202, media_type="application/json")

    return app


# -- requests ------------------------------------------------------------------------------

def signed_requests(count: int, port: int) -> list[bytes]:
    """``count`` distinct signed requests, as raw HTTP/1.1 bytes (signed ahead: the client stays cheap)."""
    from webhooks.signatures import secret_bytes

    key = secret_bytes(SECRET)
    now = int(time.time())
    out = []
    for i in range(count):
        body = json.dumps({"order_id": f"SO-{i:07d}", "state": "paid", "amount": "1280.00",
                           "customer": {"name": "杭州示例贸易有限公司", "phone": "13800000000"}}).encode()
        msg_id = f"msg_{i:09d}"
        head = (f"POST /webhooks/in/shop HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\nwebhook-id: {msg_id}\r\nwebhook-timestamp: {now}\r\n"
                f"webhook-signature: v1,{_sign(key, msg_id, now, body)}\r\n\r\n")
        out.append(head.encode() + body)
    return out


def _sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return status


async def connect(port: int, count: int) -> list[Connection]:
    return [Connection(*await asyncio.open_connection("127.0.0.1", port)) for _ in range(count)]


async def closed_loop(port: int, requests: Iterator[bytes], connections: int, seconds: float) -> dict[str, float]:
    conns = await connect(port, connections)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds

    async def run(conn: Connection) -> None:
        while time.perf_counter() < deadline:
            request = next(requests, None)
            if request is None:  # all sent
                return
            started = time.perf_counter()
            status = await conn.send(request)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(run(c) for c in conns))
    elapsed = time.perf_counter() - started
    for c in conns:
        c.writer.close()
    return {"rate": len(latencies) / elapsed, **_percentiles(latencies), "statuses": statuses}  # type: ignore[dict-item]


async def open_loop(port: int, requests: Iterator[bytes], rate: float, seconds: float, connections: int
                    ) -> dict[str, float]:
    conns = await connect(port, connections)
    free: asyncio.Queue[Connection] = asyncio.Queue()
    for c in conns:
        free.put_nowait(c)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05

    async def one(scheduled: float, request: bytes) -> None:
        conn = await free.get()
        status = await conn.send(request)
        latencies.append(time.perf_counter() - scheduled)
        statuses[status] = statuses.get(status, 0) + 1
        free.put_nowait(conn)

    tasks = []
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled, next(requests))))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for c in conns:
        c.writer.close()
    return {"rate": total / elapsed, **_percentiles(latencies), "statuses": statuses}  # type: ignore[dict-item]


def _percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"p50_ms": pick(0.50), "p99_ms": pick(0.99), "max_ms": ordered[-1] * 1000,
            "mean_ms": statistics.fmean(ordered) * 1000}


# -- servers -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(factory: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parents[1])  # noqa: S603
    deadline = time.time() + 30
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process
        if process.poll() is not None:
            raise SystemExit(f"{factory} did not start (exit {process.returncode})")
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{factory} did not start in 30 s")


def hub_workspace(root: Path) -> dict[str, str]:
    from hub.db.engine import create_db_engine
    from hub.db.migrate import upgrade

    root.mkdir(parents=True)
    (root / "hub.yaml").write_text(HUB_YAML, encoding="utf-8")
    (root / "mappings").mkdir()
    (root / "mappings" / "shop-order.yaml").write_text(MAPPING, encoding="utf-8")
    engine = create_db_engine(f"sqlite:///{root / 'hub.db'}")
    upgrade(engine)
    engine.dispose()
    return {"HUB_WORKSPACE": str(root), "SHOP_SECRET": SECRET}


async def _drained(database: Path) -> None:
    from sqlalchemy import text

    from hub.db.engine import create_db_engine, read_only

    engine = create_db_engine(f"sqlite:///{database}")
    try:
        while True:
            with read_only(engine) as conn:
                if not conn.execute(text("SELECT count(*) FROM inbound_messages WHERE status = 'pending'")
                                    ).scalar_one():
                    return
            await asyncio.sleep(0.5)
    finally:
        engine.dispose()


async def measure(name: str, factory: str, env: dict[str, str], args: argparse.Namespace, *,
                  worker_process: bool = False, drain: Path | None = None) -> dict[str, dict]:
    port = free_port()
    total = int((args.seconds + 1) * 15000 + args.rate * args.seconds)
    requests = iter(signed_requests(total, port))
    server = start_server(factory, port, env)
    worker = subprocess.Popen([sys.executable, "-m", "hub", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) if worker_process else None
    try:
        await closed_loop(port, requests, args.connections, 1.0)  # warm up
        throughput = await closed_loop(port, requests, args.connections, args.seconds)
        await asyncio.sleep(1.0)
        if drain is not None:  # the latency phase measures 1,000 req/s sustained, not a backlog being worked off
            await _drained(drain)
        latency = await open_loop(port, requests, args.rate, args.seconds, args.connections)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
    print(f"{name:>12}: {throughput['rate']:8,.0f} req/s closed loop ({args.connections} conns; "
          f"p50 {throughput['p50_ms']:.1f} ms, p99 {throughput['p99_ms']:.1f} ms) {throughput['statuses']}")
    print(f"{'':>12}  {args.rate:,.0f} req/s open loop: p50 {latency['p50_ms']:.1f} ms, "
          f"p99 {latency['p99_ms']:.1f} ms, max {latency['max_ms']:.1f} ms {latency['statuses']}")
    return {"throughput": throughput, "latency": latency}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--workers", action="store_true",
                        help="Also measure the hub with a worker (in its process, and in a process of its own).")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    root = Path(tempfile.mkdtemp(prefix="bench-inbound-"))
    try:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        bare = await measure("bare", "bench.webhooks_inbound:bare_app", env, args)
        hub_env = {**env, **hub_workspace(root / "api")}
        hub = await measure("hub", "hub.api.app:app_from_environment", hub_env, args)
        ratio = hub["throughput"]["rate"] / bare["throughput"]["rate"]
        print(f"\nhub / bare: {ratio:.2f}x (target >= 0.4x); hub p99 at {args.rate:,.0f} req/s: "
              f"{hub['latency']['p99_ms']:.1f} ms (target < 25 ms)")
        if args.workers:
            await measure("hub+worker", "hub.api.app:app_with_workers_from_environment",
                          {**env, **hub_workspace(root / "workers")}, args, drain=root / "workers" / "hub.db")
            await measure("hub|worker", "hub.api.app:app_from_environment",
                          {**env, **hub_workspace(root / "worker-process")}, args, worker_process=True,
                          drain=root / "worker-process" / "hub.db")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
