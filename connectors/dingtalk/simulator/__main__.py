"""``python -m connectors.dingtalk.simulator --port 9104 --seed 1 --contracts 40``."""

from __future__ import annotations

import argparse

import uvicorn

from connectors.dingtalk.simulator.core import DingTalkSimulator
from connectors.dingtalk.simulator.data import CONTRACT_CODE


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A simulated DingTalk (api.dingtalk.com and oapi.dingtalk.com)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9104)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--contracts", type=int, default=40, help="seeded contract approval instances")
    parser.add_argument("--leaves", type=int, default=10, help="seeded leave approval instances")
    parser.add_argument("--token-max-calls", type=int, default=None, help="tokens expire after N calls")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    sim = DingTalkSimulator(args.seed, contracts=args.contracts, leaves=args.leaves)
    sim.set_knobs(token_max_calls=args.token_max_calls, latency_ms=args.latency_ms)
    a = sim.account
    base = f"http://{args.host}:{args.port}"
    print(f"DingTalk simulator: {len(sim.instances)} approval instances", flush=True)
    print(f"  base_url {base}  base_url_old {base}  app_key {a.app_key}  app_secret {a.app_secret}  "
          f"agent_id {a.agent_id}", flush=True)
    print(f"  robot_access_token {a.robot_access_token}  robot_secret {a.robot_secret}", flush=True)
    print(f"  callback_token {a.callback_token}  aes_key {a.aes_key}  process_codes [{CONTRACT_CODE}]", flush=True)
    uvicorn.run(sim.app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
