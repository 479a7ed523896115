"""Crash test: ``hub serve`` (API and its worker process) killed with SIGKILL while 500 signed webhooks arrive.

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
from sqlalchemy import Engine, select

from hub.db.engine import create_db_engine
from hub.security.secrets import SecretBox
from hub.store.tables import RecordRef
from tests.webhooks.inbound.helpers import ENV, HUB_YAML, order, standard_headers, write_workspace
from tests.webhooks.outbound.receiver import Receiver
from webhooks.inbound.messages import MESSAGES

WEBHOOKS = 500
HUB = [sys.executable, "-c", "from hub.cli.main import run; run()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], port: int, *options: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([*HUB, "serve", "--port", str(port), *options], env=env,  # noqa: S603 - our own CLI
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


@pytest.mark.slow
def test_every_acknowledged_webhook_becomes_one_record_across_sigkill(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    receiver = Receiver().start()
    workspace = write_workspace(
        tmp_path / "ws",
        HUB_YAML + f"subscriptions:\n  mes:\n    url: {receiver.url('/mes')}\n    events: [order.created]\n")
    database = tmp_path / "hub.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(ENV, HUB_WORKSPACE=str(workspace), HUB_DATABASE_URL=f"sqlite:///{database}", HUB_LOG_LEVEL="warning",
               HUB_SECRET_KEY=SecretBox.generate_key(), HUB_WEBHOOK_ALLOW_NETWORKS="127.0.0.0/8")
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
        # Jobs and deliveries the killed processes held come back when their leases run out; let them now.
        past = "'2000-01-01T00:00:00.000000+00:00'"
        for table, due in (("jobs", ""), ("deliveries", f", next_attempt_at = {past}")):
            with engine.begin() as conn:
                conn.exec_driver_sql(f"UPDATE {table} SET lease_until = {past}{due} "  # noqa: S608
                                     "WHERE lease_until IS NOT NULL")
        _wait_until(engine, "SELECT count(*) FROM inbound_messages WHERE status = 'pending'", 0)
        _wait_until(engine, "SELECT count(*) FROM deliveries WHERE status = 'succeeded'", WEBHOOKS)
    finally:
        server["process"].send_signal(signal.SIGTERM)
        server["process"].wait(timeout=30)
        receiver.close()

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
    # Every record's event reached the subscriber (at least once: a killed worker may have sent some
    # without recording it; those are sent again, with the same webhook-id).
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == WEBHOOKS


def _wait_until(engine: Engine, query: str, want: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            found = conn.exec_driver_sql(query).scalar()
        if found == want:
            return
        time.sleep(0.2)
    raise AssertionError(f"{query}: {found} after {timeout} s, want {want}")
