"""``python -m connectors.wecom.simulator --port 9103 --seed 7 --contacts 60 --approvals 40``."""

from __future__ import annotations

import argparse

import uvicorn

from connectors.wecom.simulator.app import create_app
from connectors.wecom.simulator.seed import CONTRACT_TEMPLATE
from connectors.wecom.simulator.state import WeComSimulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A simulated WeCom (企业微信) server API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9103)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--employees", type=int, default=8)
    parser.add_argument("--contacts", type=int, default=60)
    parser.add_argument("--approvals", type=int, default=40)
    parser.add_argument("--token-lifetime", type=int, default=7200, help="expires_in of new tokens (seconds)")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    sim = WeComSimulator(args.seed, employees=args.employees, contacts=args.contacts, approvals=args.approvals)
    sim.set_knobs(token_lifetime=args.token_lifetime, latency_ms=args.latency_ms)
    a = sim.account
    print(f"WeCom simulator: {len(sim.staff)} employees, {len(sim.external)} contacts, {len(sim.sp)} approvals",
          flush=True)
    print(f"  base_url http://{args.host}:{args.port}/cgi-bin/  corp_id {a.corp_id}  corp_secret {a.corp_secret}  "
          f"agent_id {a.agent_id}", flush=True)
    print(f"  callback_token {a.callback_token}  encoding_aes_key {a.encoding_aes_key}  "
          f"approval_templates [{CONTRACT_TEMPLATE}]", flush=True)
    uvicorn.run(create_app(sim), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
