"""Benchmark: order-to-production flow runs per second on SQLite, simulators in-process with no latency.

Run:  .venv/bin/python bench/flows.py [--runs 400] [--lines 3] [--concurrency 8] [--external]

One process, one SQLite workspace (WAL), the Kingdee and DingTalk simulators served
in-process through httpx's ASGI transport (latency 0). ``--runs`` sales orders, each with
``--lines`` in-house lines and one bought line, are stored as Kingdee orders (confirmed),
so each run does what the shipped flow does: per in-house line a reverse-mapped PRD_MO
Save in Kingdee (looked up by its idempotency reference first) stored as a canonical
production_order, then per production order a DingTalk work notification; every step is
recorded. Two phases, in this order, on the same data shape:

- **direct**: the same vendor calls made straight from a loop (connector.push for each
  line and each notice, with the same keys, concurrency ``--concurrency``), no flow engine,
  no step records, no canonical production orders: the vendor work alone.
- **flows**: the trigger starts one run per ``order.confirmed`` and a worker with
  ``--concurrency`` slots runs them to the end.

With ``--external`` the two simulators run as their own processes (``python -m
connectors.<vendor>.simulator``) and the hub reaches them over real HTTP on 127.0.0.1, as it
reaches real vendors: their CPU is no longer in the hub's process.

Reported: runs/s for both and flows/direct. Target (issue 8): flows ≥ 200 runs/s.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, text

from hub.db.engine import create_db_engine
from hub.db.migrate import upgrade
from hub.flows.engine import flow_handler
from hub.flows.registry import FlowCache, load_flows
from hub.flows.runs import FLOW_STEP_JOB
from hub.flows.trigger import trigger_tick
from hub.jobs.worker import Worker
from hub.settings import Settings
from hub.store import SourceRecord, Store
from hub.sync.plan import build_connector
from hub.workspace.loader import load_workspace
from tests.flows.simulators import Systems, systems

IN_HOUSE = ("01.01.0001", "01.01.0005", "01.01.0009", "01.01.0010", "01.01.0018")


def orders(engine: Engine, count: int, lines: int, prefix: str) -> None:
    records = [SourceRecord("kingdee", "SAL_SaleOrder", f"{prefix}{n:06d}", {
        "number": f"{prefix}{n:06d}", "status": "confirmed", "currency": "CNY", "total": "1000.00",
        "lines": [{"sku": IN_HOUSE[i % len(IN_HOUSE)], "qty": "2", "unit_price": "100", "amount": "200"}
                  for i in range(lines)] + [{"sku": "01.01.0002", "qty": "1", "unit_price": "12.8", "amount": "12.8"}],
    }) for n in range(count)]
    store = Store(engine)
    for start in range(0, len(records), 200):
        store.upsert("order", records[start:start + 200])


async def direct(sys: Systems, count: int, lines: int, concurrency: int, transport: object) -> float:
    workspace = load_workspace(sys.root)
    kingdee = build_connector(workspace, "kingdee-main", engine=sys.engine, transport=transport)  # type: ignore[arg-type]
    dingtalk = build_connector(workspace, "dingtalk-main", engine=sys.engine, transport=transport)  # type: ignore[arg-type]
    queue = list(range(count))
    start = time.perf_counter()

    async def lane() -> None:
        while queue:
            n = queue.pop()
            for i in range(lines):
                record = {"FBillType": {"FNumber": "SCDD01_SYS"}, "FTreeEntity": [{
                    "FMaterialId": {"FNumber": IN_HOUSE[i % len(IN_HOUSE)]}, "FQty": 2.0,
                    "FSaleOrderNo": f"D{n:06d}", "FStatus": "1"}]}
                made = await kingdee.push("PRD_MO", record, idempotency_key=f"direct-{n}:{i}")
                await dingtalk.push("work_notification", {
                    "userid_list": ["manager0101"], "msgtype": "markdown", "template": "production-order",
                    "lang": "zh", "data": {"order": {"number": f"D{n:06d}"}, "production_order": {
                        "number": made.external_id, "sku": IN_HOUSE[i % len(IN_HOUSE)], "qty": "2",
                        "planned_start": None, "planned_finish": None}}}, idempotency_key=f"direct-{n}:{i}:n")

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    await kingdee.aclose()
    await dingtalk.aclose()
    return count / elapsed


def flows(sys: Systems, count: int, lines: int, concurrency: int, transport: object) -> float:
    orders(sys.engine, count, lines, "XSDD")
    settings = Settings(workspace=sys.root)
    worker = Worker(sys.engine, {FLOW_STEP_JOB: flow_handler(sys.engine, settings, transport=transport,  # type: ignore[arg-type]
                                                             flows=FlowCache(sys.root, check_every=1.0))},
                    concurrency=concurrency)
    registry = load_flows(sys.root)
    start = time.perf_counter()
    with sys.engine.begin() as conn:
        while trigger_tick(conn, registry):
            pass
    asyncio.run(worker.drain())
    elapsed = time.perf_counter() - start
    with sys.engine.connect() as conn:
        done = conn.execute(text("SELECT count(*) FROM flow_runs WHERE status = 'succeeded'")).scalar()
        made = conn.execute(text("SELECT count(*) FROM production_orders")).scalar()
    if done != count or made != count * lines:
        raise SystemExit(f"only {done} of {count} runs succeeded ({made} production orders)")
    return count / elapsed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def external_simulators(root: Path) -> list[subprocess.Popen[bytes]]:
    """The simulators as their own processes; hub.yaml pointed at them."""
    started = []
    config = (root / "hub.yaml").read_text(encoding="utf-8")
    for host, module, args in (("kingdee.test", "connectors.erp.kingdee.simulator",
                                ["--seed", "3", "--customers", "20", "--orders", "30"]),
                               ("dingtalk.test", "connectors.dingtalk.simulator",
                                ["--seed", "3", "--contracts", "2", "--leaves", "0"])):
        port = _free_port()
        started.append(subprocess.Popen([sys.executable, "-m", module, "--port", str(port), *args],  # noqa: S603
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        config = config.replace(f"http://{host}", f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"{module} did not start")
            time.sleep(0.05)
    (root / "hub.yaml").write_text(config, encoding="utf-8")
    return started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--external", action="store_true", help="simulators in their own processes, over HTTP")
    args = parser.parse_args()
    children: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{folder}/hub.db")
        upgrade(engine)
        sys_ = systems(Path(folder) / "ws", engine, flows=("order-to-production",))
        sys_.kingdee.knobs.latency_ms = 0
        transport = None if args.external else sys_.transport
        try:
            if args.external:
                children = external_simulators(sys_.root)
            sys_.start_flows()
            direct_rate = asyncio.run(direct(sys_, args.runs, args.lines, args.concurrency, transport))
            flow_rate = flows(sys_, args.runs, args.lines, args.concurrency, transport)
        finally:
            for child in children:
                child.terminate()
                child.wait()
    where = "simulators in their own processes over HTTP" if args.external else "simulators in-process"
    print(f"order-to-production, {args.runs} runs x {args.lines} production orders + notices, "
          f"concurrency {args.concurrency}, SQLite, {where}")
    print(f"  direct vendor calls : {direct_rate:8.1f} runs/s")
    print(f"  flows               : {flow_rate:8.1f} runs/s  ({flow_rate / direct_rate:.2f}x direct)")


if __name__ == "__main__":
    main()
