"""``python -m connectors.erp.yonyou.simulator --port 9102``: serve the simulator over HTTP."""

from __future__ import annotations

import argparse

import uvicorn

from connectors.erp.yonyou.simulator import APP_KEY, APP_SECRET, TENANT_ID, SimulatorState, create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m connectors.erp.yonyou.simulator",
                                     description="Yonyou YonBIP open API simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9102)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--orders", type=int, default=240)
    parser.add_argument("--tenant-id", default=TENANT_ID)
    parser.add_argument("--app-key", default=APP_KEY)
    parser.add_argument("--app-secret", default=APP_SECRET)
    args = parser.parse_args(argv)
    state = SimulatorState(seed_value=args.seed, customers=args.customers, orders=args.orders,
                           tenant_id=args.tenant_id, app_key=args.app_key, app_secret=args.app_secret)
    print(f"Yonyou simulator on http://{args.host}:{args.port}  tenant_id={state.tenant_id} "
          f"app_key={state.app_key} ({len(state.customers)} customers, {len(state.orders)} sales orders)")
    uvicorn.run(create_app(state), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
