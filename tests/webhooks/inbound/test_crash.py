"""Crash test: ``hub serve`` killed with SIGKILL while 500 signed webhooks arrive, then restarted.

Every webhook the hub acknowledged (202, or 200 for a re-send it already had) must become
exactly one record: nothing acknowledged is lost, nothing is stored twice. The sender
behaves like a real one: a request that got no answer is sent again with the same
webhook-id until it gets one.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from hub.db.engine import create_db_engine
from hub.settings import Settings
from hub.store.tables import RecordRef
from tests.webhooks.inbound.helpers import ENV, order, standard_headers, write_workspace
from webhooks.inbound import INBOUND_JOB, Contexts, process_messages
from webhooks.inbound.messages import MESSAGES

WEBHOOKS = 500
HUB = [sys.executable, "-c", "from hub.cli.main import run; run()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([*HUB, "serve", "--port", str(port)], env=env,  # noqa: S603 - our own CLI
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process
        assert process.poll() is None, "hub serve exited"
        time.sleep(0.05)
    process.kill()
    raise AssertionError("hub serve did not start in 30 s")


def _worker_runs_inbound_jobs() -> bool:
    from hub.background import job_handlers

    return INBOUND_JOB in job_handlers(create_db_engine("sqlite://"), Settings())


@pytest.mark.slow
def test_every_acknowledged_webhook_becomes_one_record_across_sigkill(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    workspace = write_workspace(tmp_path / "ws")
    database = tmp_path / "hub.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(ENV, HUB_WORKSPACE=str(workspace), HUB_DATABASE_URL=f"sqlite:///{database}", HUB_LOG_LEVEL="warning")
    subprocess.run([*HUB, "db", "upgrade"], env=env, check=True, capture_output=True)  # noqa: S603
    port = _free_port()
    server = {"process": _serve(env, port)}
    acknowledged: dict[int, tuple[int, str]] = {}  # webhook -> (status, message id)
    kills = 0

    async def send(http: httpx.AsyncClient, n: int) -> None:
        body = order(f"SO-{n:04d}")
        while True:
            try:
                response = await http.post(f"http://127.0.0.1:{port}/webhooks/in/shop", content=body,
                                           headers=standard_headers(body, f"msg_{n:04d}"))
            except httpx.TransportError:
                await asyncio.sleep(0.05)  # no answer: the hub is down; send the same webhook again
                continue
            if response.status_code in (200, 202):
                acknowledged[n] = (response.status_code, response.json()["id"])
                return
            assert response.status_code >= 500, response.text
            await asyncio.sleep(0.05)

    async def killer() -> None:
        nonlocal kills
        for threshold in (120, 300):
            while len(acknowledged) < threshold:
                await asyncio.sleep(0.005)
            server["process"].send_signal(signal.SIGKILL)  # mid-stream: requests in flight get no answer
            server["process"].wait()
            kills += 1
            await asyncio.sleep(0.3)
            server["process"] = await asyncio.to_thread(_serve, env, port)

    async def stream() -> None:
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(limits=limits, timeout=10) as http:
            queue = iter(range(WEBHOOKS))
            kill_task = asyncio.create_task(killer())

            async def lane() -> None:
                for n in queue:
                    await send(http, n)

            await asyncio.gather(*(lane() for _ in range(16)))
            await kill_task

    try:
        asyncio.run(stream())
        engine = create_db_engine(f"sqlite:///{database}")
        if _worker_runs_inbound_jobs():
            # Jobs the killed process held come back when their lease runs out; let it run out now.
            with engine.begin() as conn:
                conn.exec_driver_sql("UPDATE jobs SET lease_until = '2000-01-01T00:00:00.000000+00:00' "
                                     "WHERE status = 'running'")
            _wait_until_processed(engine, timeout=120)
        else:  # hub serve does not run inbound jobs yet: process what is pending as its worker would
            with engine.connect() as conn:
                pending = list(conn.execute(select(MESSAGES.c.id).where(MESSAGES.c.status == "pending")).scalars())
            process_messages(engine, pending, Contexts(workspace))
    finally:
        server["process"].send_signal(signal.SIGTERM)
        server["process"].wait(timeout=30)

    assert kills == 2
    assert sorted(acknowledged) == list(range(WEBHOOKS))
    with engine.connect() as conn:
        messages = {r["dedupe_key"]: r for r in conn.execute(select(MESSAGES)).mappings()}
        refs = conn.execute(select(RecordRef.external_id, RecordRef.record_id)  # type: ignore[call-overload]
                            .where(RecordRef.system == "shop")).all()
        versions = dict(conn.exec_driver_sql("SELECT number, version FROM orders").all())
        created = conn.exec_driver_sql("SELECT count(*) FROM events WHERE type = 'order.created'").scalar()
    engine.dispose()
    for n, (_status, message_id) in acknowledged.items():
        assert messages[f"msg_{n:04d}"]["id"] == message_id  # a 200 names the message first stored
    assert len(messages) == WEBHOOKS  # re-sends were recognised, not stored again
    assert {m["status"] for m in messages.values()} == {"processed"}
    assert sorted(ext for ext, _ in refs) == [f"SO-{n:04d}" for n in range(WEBHOOKS)]  # each once
    assert set(versions.values()) == {1}  # none stored twice
    assert created == WEBHOOKS


def _wait_until_processed(engine: Engine, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            left = conn.execute(select(func.count()).select_from(MESSAGES).where(MESSAGES.c.status == "pending")
                                ).scalar()
        if left == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"{left} messages still pending after {timeout} s")
