"""``python -m connectors.erp.kingdee.simulator --port 9101 --seed 1 --customers 200 --orders 1000``."""

from __future__ import annotations

import argparse
import time

import uvicorn

from connectors.erp.kingdee.simulator.app import create_app
from connectors.erp.kingdee.simulator.core import KingdeeSimulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A simulated Kingdee K3 Cloud WebAPI")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9101)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=None, help="lines per order (default: 1 to 5)")
    parser.add_argument("--receipts", type=float, default=0.6, help="share of audited orders with receipts")
    parser.add_argument("--session-max-calls", type=int, default=None, help="sessions expire after N calls")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    sim = KingdeeSimulator(args.seed, customers=args.customers, orders=args.orders, lines_per_order=args.lines,
                           receipt_share=args.receipts)
    sim.set_knobs(session_max_calls=args.session_max_calls, latency_ms=args.latency_ms)
    a = sim.account
    print(f"Kingdee simulator: {args.customers} customers, {args.orders} orders in "
          f"{time.perf_counter() - started:.1f}s", flush=True)
    print(f"  base_url http://{args.host}:{args.port}/k3cloud/  acct_id {a.acct_id}  username {a.username}  "
          f"password {a.password}  app_id {a.app_id}  app_secret {a.app_secret}", flush=True)
    uvicorn.run(create_app(sim), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
