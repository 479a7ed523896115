"""Benchmark: a full sync of 100,000 Kingdee sales orders (3 lines each) from the simulator into SQLite,
then an incremental sync with nothing changed, through the hub's sync engine (``hub.sync.engine.run_sync``:
connector pages -> mapping -> store upsert + events -> cursor, one transaction per page).

Run:  .venv/bin/python bench/sync.py [--orders 100000] [--transport uvicorn|asgi|both] [--profile]

- ``uvicorn`` (default, the realistic one): the simulator runs as its own process on
  127.0.0.1 (``python -m connectors.erp.kingdee.simulator``), the hub talks HTTP to it;
  the hub's peak memory is then the hub's alone.
- ``asgi``: the simulator runs inside the hub's process behind ``httpx.ASGITransport``;
  no sockets, but its 100,000 orders count in the hub's memory.
- ``both``: each in a fresh process, one after the other.

Reported, per transport: the simulator's serving rate (ExecuteBillQuery pages of 2,000
rows read raw over the same transport: no zipping, mapping or storing) as the baseline;
customers synced first (orders look their customer up); the full order sync in orders/s
(target >= 2,000/s) and as a share of the raw rate; the no-change incremental sync's time
(target < 5 s); the hub process's peak RSS (target < 300 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from connectors.erp.kingdee import KingdeeConnector
from connectors.erp.kingdee.client import service_path
from connectors.erp.kingdee.simulator import KingdeeSimulator
from connectors.erp.kingdee.simulator.gateway import Account
from connectors.erp.kingdee.streams import SALES_ORDERS
from hub.db.engine import create_db_engine
from hub.db.migrate import upgrade
from hub.sdk import registry
from hub.sync.engine import SyncOutcome, SyncRequest, run_sync
from hub.workspace.loader import load_workspace

HUB_YAML = """
connectors:
  kingdee-main:
    type: kingdee
    settings:
      base_url: {base_url}
      acct_id: "{acct_id}"
      username: {username}
      password: ${{KD_PASSWORD}}
    entities:
      customer: {{mapping: kingdee-customer}}
      order: {{mapping: kingdee-sales-order}}
"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_simulator(args: argparse.Namespace) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "connectors.erp.kingdee.simulator", "--port", str(port), "--seed", "1",
               "--customers", str(args.customers), "--orders", str(args.orders), "--lines", str(args.lines),
               "--receipts", "0"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603 - our own module
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/_sim/stats", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the simulator did not start")


async def raw_serving_rate(base: str, transport: httpx.AsyncBaseTransport | None) -> dict[str, float]:
    """ExecuteBillQuery pages of 2,000 rows read as fast as the simulator serves them (login once)."""
    account = Account()
    async with httpx.AsyncClient(base_url=f"{base}/k3cloud/", transport=transport, timeout=60) as http:
        login = await http.post(service_path("ValidateUser"), json={"parameters": [
            account.acct_id, account.username, account.password, 2052]})
        cookie = {"Cookie": f"kdservice-sessionid={login.json()['KDSVCSessionId']}"}
        rows = 0
        started = time.perf_counter()
        while True:
            data = {"FormId": "SAL_SaleOrder", "FieldKeys": ",".join(SALES_ORDERS.field_keys), "FilterString": "",
                    "OrderString": SALES_ORDERS.order_string, "StartRow": rows, "Limit": 2000, "TopRowCount": 0}
            page = (await http.post(service_path("ExecuteBillQuery"), json={"data": data}, headers=cookie)).json()
            rows += len(page)
            if len(page) < 2000:
                break
        seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}


def sync(engine: Any, workspace: Any, entity: str, transport: Any, *, full: bool) -> tuple[SyncOutcome, float]:
    started = time.perf_counter()
    outcome = asyncio.run(run_sync(engine, workspace, SyncRequest("kingdee-main", entity, full=full),
                                   transport=transport))
    return outcome, time.perf_counter() - started


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    if "kingdee" not in registry.connector_types():  # until pyproject registers the entry point
        registry.connector_types = lambda: {"kingdee": KingdeeConnector}  # type: ignore[assignment]
    simulator: subprocess.Popen[bytes] | None = None
    transport: httpx.AsyncBaseTransport | None = None
    if args.transport == "uvicorn":
        simulator, base = start_simulator(args)
    else:
        started = time.perf_counter()
        sim = KingdeeSimulator(1, customers=args.customers, orders=args.orders, lines_per_order=args.lines,
                               receipt_share=0)
        print(f"  simulator data generated in {time.perf_counter() - started:.1f}s, "
              f"peak RSS now {peak_rss_mb():.0f} MB", flush=True)
        transport, base = httpx.ASGITransport(app=sim.app), "http://kingdee.sim"
    try:
        raw = asyncio.run(raw_serving_rate(base, transport))
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            account = Account()
            (root / "hub.yaml").write_text(HUB_YAML.format(base_url=f"{base}/k3cloud/", acct_id=account.acct_id,
                                                           username=account.username), encoding="utf-8")
            workspace = load_workspace(root, env={"KD_PASSWORD": account.password})
            engine = create_db_engine(f"sqlite:///{root / 'hub.db'}")
            upgrade(engine)
            customers, customers_s = sync(engine, workspace, "customer", transport, full=True)
            profiler = _profiler(args)
            orders, orders_s = sync(engine, workspace, "order", transport, full=True)
            if profiler is not None:
                profiler.stop()
                print(profiler.output_text(unicode=True, show_all=False), flush=True)
            again, again_s = sync(engine, workspace, "order", transport, full=False)
            engine.dispose()
    finally:
        if simulator is not None:
            simulator.terminate()
            simulator.wait()
    return {
        "transport": args.transport, "orders": args.orders, "lines": args.lines,
        "raw_rows_per_s": round(raw["rows_per_s"]), "raw_orders_per_s": round(raw["rows_per_s"] / args.lines),
        "customers": customers.counts.created, "customers_s": round(customers_s, 2),
        "full_orders": orders.counts.created, "full_quarantined": orders.counts.quarantined,
        "full_s": round(orders_s, 2), "full_orders_per_s": round(orders.counts.created / orders_s),
        "incremental_read": again.counts.read, "incremental_s": round(again_s, 2),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def _profiler(args: argparse.Namespace) -> Any:
    if not args.profile:
        return None
    from pyinstrument import Profiler  # pip install pyinstrument into .venv (not a project dependency)

    async def inline(fn: Any, /, *a: Any, **kw: Any) -> Any:
        return fn(*a, **kw)

    # The engine commits pages in worker threads, which the profiler does not see: run them inline
    # (profiling only; this process exits after the run).
    setattr(asyncio, "to_thread", inline)  # noqa: B010
    profiler = Profiler(async_mode="disabled")
    profiler.start()
    return profiler


def report(result: dict[str, Any]) -> None:
    share = result["full_orders_per_s"] / result["raw_orders_per_s"]
    print(f"\n[{result['transport']}] {result['orders']:,} orders x {result['lines']} lines into SQLite")
    print(f"  simulator serving rate (raw ExecuteBillQuery): {result['raw_rows_per_s']:,} rows/s "
          f"= {result['raw_orders_per_s']:,} orders/s  (baseline)")
    print(f"  customers first: {result['customers']:,} in {result['customers_s']}s")
    print(f"  full sync: {result['full_orders']:,} orders in {result['full_s']}s = "
          f"{result['full_orders_per_s']:,} orders/s (target >= 2,000; {share:.0%} of the raw rate); "
          f"quarantined {result['full_quarantined']}")
    print(f"  incremental, nothing changed: {result['incremental_read']} records read in "
          f"{result['incremental_s']}s (target < 5 s)")
    print(f"  hub process peak RSS: {result['peak_rss_mb']} MB (target < 300 MB"
          f"{'; includes the in-process simulator' if result['transport'] == 'asgi' else ''})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--transport", choices=("uvicorn", "asgi", "both"), default="uvicorn")
    parser.add_argument("--profile", action="store_true", help="pyinstrument the full order sync")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line (used by both)")
    args = parser.parse_args()
    if args.transport == "both":
        for transport in ("uvicorn", "asgi"):
            command = [sys.executable, __file__, "--json", "--transport", transport, "--orders", str(args.orders),
                       "--lines", str(args.lines), "--customers", str(args.customers)]
            output = subprocess.run(command, check=True, capture_output=True, text=True,  # noqa: S603
                                    env={**os.environ}).stdout
            report(json.loads(output.strip().splitlines()[-1]))
        return
    result = run_one(args)
    if args.json:
        print(json.dumps(result))
    else:
        report(result)


if __name__ == "__main__":
    main()
