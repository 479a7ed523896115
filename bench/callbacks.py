"""Benchmark: WeCom callbacks verified, decrypted and stored vs a bare FastAPI endpoint, in one run.

Run:  .venv/bin/python bench/callbacks.py [--seconds 10] [--connections 64]

Both servers run as uvicorn subprocesses on 127.0.0.1 with the same settings (one process,
uvicorn's defaults: uvloop + httptools, access log off), one after the other:

- **bare**: a FastAPI app with one ``POST /callbacks/wecom/{connector}`` that reads the body
  and answers an empty 200: no signature check, no decryption, no storage.
- **hub**: the hub's app (``hub.api.app:app_from_environment``, API only, as
  ``hub serve --no-worker``) on a SQLite workspace (WAL, ``synchronous=NORMAL``) with a
  ``type: wecom`` connector: every request has its ``msg_signature`` checked, its
  timestamp checked, its ``Encrypt`` decrypted (AES-256-CBC, padding, length and corp id
  checked), the event XML parsed for its dedupe key, and the event stored (body, headers,
  dedupe key, processing job) and committed before the empty 200.

The load comes from this process: the minimal HTTP/1.1 keep-alive asyncio client of
bench/webhooks_inbound.py (cheaper per request than any client library), every request a
different ``add_external_contact`` event sealed ahead of time like WeCom seals it (so no
duplicates). One closed-loop phase per server: ``--connections`` connections as fast as
they go for ``--seconds``, after a one-second warm-up.

Target (issue 6): hub ≥ 0.4x the bare rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from fastapi import FastAPI, Request, Response

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.webhooks_inbound import closed_loop, free_port, start_server
from connectors.callback_crypto import CallbackCipher
from connectors.wecom.simulator import event_xml

CORP_ID = "ww0bench0000000001"
TOKEN = "benchToken123"  # noqa: S105 - a benchmark's made-up callback token
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CONNECTOR = "wecom-bench"
HUB_YAML = f"""\
connectors:
  {CONNECTOR}:
    type: wecom
    settings:
      corp_id: {CORP_ID}
      corp_secret: ${{WECOM_SECRET}}
      callback_token: ${{WECOM_CALLBACK_TOKEN}}
      encoding_aes_key: ${{WECOM_AES_KEY}}
"""


def bare_app() -> FastAPI:
    """The baseline: the same route, reading the body and answering an empty 200, nothing else."""
    app = FastAPI()

    @app.post("/callbacks/wecom/{connector}")
    async def receive(connector: str, request: Request) -> Response:
        await request.body()
        return Response(b"", media_type="text/plain")

    return app


def sealed_requests(count: int, port: int) -> list[bytes]:
    """``count`` distinct WeCom events, encrypted and signed as WeCom does, as raw HTTP/1.1 requests."""
    cipher = CallbackCipher(TOKEN, AES_KEY, CORP_ID)
    now = int(time.time())
    out = []
    for i in range(count):
        event = event_xml({"ToUserName": CORP_ID, "FromUserName": "sys", "CreateTime": now, "MsgType": "event",
                           "Event": "change_external_contact", "ChangeType": "add_external_contact",
                           "UserID": f"sales{i % 50}", "ExternalUserID": f"wmbench{i:012d}", "State": "",
                           "WelcomeCode": f"wc{i:010d}"})
        nonce = str(100000 + i)
        encrypt, signature = cipher.seal(event, str(now), nonce)
        body = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID>"
                f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>").encode()
        target = f"/callbacks/wecom/{CONNECTOR}?msg_signature={signature}&timestamp={now}&nonce={nonce}"
        head = (f"POST {target} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: text/xml\r\n"
                f"content-length: {len(body)}\r\n\r\n")
        out.append(head.encode() + body)
    return out


def hub_workspace(root: Path) -> dict[str, str]:
    from hub.db.engine import create_db_engine
    from hub.db.migrate import upgrade

    root.mkdir(parents=True)
    (root / "hub.yaml").write_text(HUB_YAML, encoding="utf-8")
    engine = create_db_engine(f"sqlite:///{root / 'hub.db'}")
    upgrade(engine)
    engine.dispose()
    return {"HUB_WORKSPACE": str(root), "WECOM_SECRET": "bench-secret", "WECOM_CALLBACK_TOKEN": TOKEN,
            "WECOM_AES_KEY": AES_KEY}


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux), to compare CPU per request when the machine is busy."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(name: str, factory: str, env: dict[str, str], args: argparse.Namespace) -> dict[str, float]:
    port = free_port()
    requests = iter(sealed_requests(int((args.seconds + 1) * 12000), port))
    server = start_server(factory, port, env)
    try:
        await closed_loop(port, requests, args.connections, 1.0)  # warm up
        cpu_before = cpu_seconds(server.pid)
        result = await closed_loop(port, requests, args.connections, args.seconds)
        cpu_after = cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    served = sum(result["statuses"].values())  # type: ignore[attr-defined]
    if cpu_before is not None and cpu_after is not None and served:
        result["cpu_us"] = (cpu_after - cpu_before) / served * 1e6
    cpu = f"; server CPU {result['cpu_us']:.0f} µs/callback" if "cpu_us" in result else ""
    print(f"{name:>5}: {result['rate']:8,.0f} callbacks/s closed loop ({args.connections} conns; "
          f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms{cpu}) {result['statuses']}")
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-callbacks-"))
    try:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        bare = await measure("bare", "bench.callbacks:bare_app", env, args)
        hub = await measure("hub", "hub.api.app:app_from_environment", {**env, **hub_workspace(root / "hub")}, args)
        if set(hub["statuses"]) != {200}:  # type: ignore[call-overload]
            print(f"the hub answered {hub['statuses']}: not every callback was stored")
        print(f"\nhub / bare: {hub['rate'] / bare['rate']:.2f}x (target >= 0.4x)")
        if "cpu_us" in hub and "cpu_us" in bare:  # steadier than the rates when other work shares the cores
            print(f"server CPU per callback, bare / hub: {bare['cpu_us'] / hub['cpu_us']:.2f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main())
