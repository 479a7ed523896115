"""Benchmark (c): the whole webhook pipeline on SQLite, inbound → mapping → store → event → outbound delivered.

Run:  .venv/bin/python bench/webhooks_pipeline.py [--n 20000] [--connections 64] [--workers 1]

``hub serve`` (the API and ``--workers`` worker processes, exactly as an admin starts it)
runs on a fresh SQLite workspace with one Standard Webhooks source (mapped to orders) and
one subscription to ``order.*`` pointing at a local receiver (uvicorn, answering 204, in
its own process). This script sends ``--n`` signed webhooks over ``--connections``
keep-alive connections as fast as the hub takes them, and polls the database until every
resulting event is recorded as delivered. Events/s = n / (last delivery recorded - first
webhook sent): each counted event was received, verified, stored raw, mapped, upserted
with its version and event, fanned out into a delivery, signed, POSTed and recorded.

Baseline in the same run: the bare FastAPI endpoint's rate (bench/webhooks_inbound.py)
under the same server settings, for scale. Target (issue 5): ≥ 1,000 events/s sustained.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.webhooks_inbound import (
    HUB_YAML,
    closed_loop,
    free_port,
    hub_workspace,
    measure,
    signed_requests,
)
from bench.webhooks_outbound import start_receiver
from hub.db.engine import create_db_engine, read_only
from hub.security.secrets import SecretBox


def _serve(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "hub", "serve", "--port", str(port), "--workers", str(workers)]
    return subprocess.Popen(command, env={**env, "HUB_LOG_LEVEL": "warning"},  # noqa: S603 - our own CLI
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def pipeline(args: argparse.Namespace, root: Path, env: dict[str, str]) -> float:
    receiver, url = start_receiver()
    workspace = hub_workspace(root)
    (root / "hub.yaml").write_text(
        HUB_YAML + f"subscriptions:\n  warehouse:\n    url: {url}\n    events: ['order.*']\n", encoding="utf-8")
    hub_env = {**env, **workspace, "HUB_SECRET_KEY": SecretBox.generate_key(),
               "HUB_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8", "HUB_DATABASE_URL": f"sqlite:///{root / 'hub.db'}"}
    port = free_port()
    server = _serve(hub_env, port, args.workers)
    engine = create_db_engine(f"sqlite:///{root / 'hub.db'}")
    try:
        await _wait_for_port(port)
        requests = iter(signed_requests(args.n, port))
        started = time.perf_counter()
        sent = await closed_loop(port, requests, args.connections, seconds=3600.0)
        ingested = time.perf_counter()
        events = delivered = 0
        all_stored: float | None = None
        while not (delivered == events >= args.n):  # every message stored, every event delivered
            await asyncio.sleep(0.1)
            with read_only(engine) as conn:
                stored = conn.execute(text("SELECT count(*) FROM inbound_messages WHERE status = 'processed'")
                                      ).scalar_one()
                events = conn.execute(text("SELECT count(*) FROM events")).scalar_one() if stored == args.n else 0
                delivered = conn.execute(text("SELECT count(*) FROM deliveries WHERE status = 'succeeded'")
                                         ).scalar_one()
            if stored == args.n and all_stored is None:
                all_stored = time.perf_counter()
            if time.perf_counter() - started > 600:
                raise SystemExit(f"{stored} of {args.n} stored, {delivered} delivered after 10 minutes")
        finished = time.perf_counter()
    finally:
        server.terminate()
        server.wait(timeout=60)
        receiver.terminate()
        receiver.wait(timeout=10)
        engine.dispose()
    rate = events / (finished - started)
    print(f"    pipeline: {args.n:,} webhooks accepted at {sent['rate']:,.0f} req/s "
          f"(all in {ingested - started:.1f} s); their {events:,} events all delivered after "
          f"{finished - started:.1f} s (all mapped and stored after {(all_stored or finished) - started:.1f} s)")
    print(f"              → {rate:,.0f} events/s end to end ({args.workers} worker process(es))")
    return rate


async def _wait_for_port(port: int) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        await asyncio.sleep(0.1)
    raise SystemExit("hub serve did not start in 30 s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0, help="Length of the bare-endpoint baseline.")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        baseline = argparse.Namespace(seconds=args.seconds, connections=args.connections, rate=1000.0)
        bare = await measure("bare", "bench.webhooks_inbound:bare_app", env, baseline)
        rate = await pipeline(args, root / "pipeline", env)
        print(f"\nwhole pipeline: {rate:,.0f} events/s (target >= 1,000); bare endpoint "
              f"{bare['throughput']['rate']:,.0f} req/s; ratio {rate / bare['throughput']['rate']:.2f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
