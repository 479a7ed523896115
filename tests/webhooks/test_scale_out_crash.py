"""Crash test at scale: three ``hub worker`` processes on one PostgreSQL, one killed with SIGKILL mid-stream.

500 signed webhooks arrive at ``hub serve --no-worker``; three workers map and store them
and deliver each resulting event to a subscriber. One worker is killed while it holds
claims. Its jobs and deliveries are claimed again when their leases run out (expired
here at once rather than waited for). Then: every acknowledged webhook is one record
and one delivered event, and no delivery reached the subscriber twice except those
the killed worker had in flight when it died.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select, text

from hub.security.secrets import SecretBox
from tests.webhooks.inbound.helpers import ENV, HUB_YAML, order, standard_headers, write_workspace
from tests.webhooks.inbound.test_crash import _free_port, _serve
from tests.webhooks.outbound.receiver import Answer, Receiver
from webhooks.inbound.messages import MESSAGES
from webhooks.outbound.tables import ATTEMPTS, DELIVERIES

WEBHOOKS = 500
HUB = [sys.executable, "-m", "hub"]


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([*HUB, "worker", "--concurrency", "4"], env=env,  # noqa: S603 - our own CLI
                                stdout=out, stderr=subprocess.STDOUT)


def _count(engine: Engine, query: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(query)).scalar_one())


def _wait_for(engine: Engine, what: str, query: str, want: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _count(engine, query) == want:
            return
        time.sleep(0.2)
    with engine.connect() as conn:  # what a failure needs to be understood
        jobs = conn.execute(text("SELECT kind, status, attempts, last_error, lease_owner FROM jobs "
                                 "WHERE status != 'succeeded'")).all()
        stuck = conn.execute(text("SELECT id, status, attempts, error FROM inbound_messages "
                                  "WHERE status != 'processed' LIMIT 10")).all()
        holders = [conn.execute(text("SELECT status, attempts, result, lease_owner FROM jobs "
                                     "WHERE CAST(payload AS TEXT) LIKE :id"), {"id": f"%{row[0]}%"}).all()
                   for row in stuck]
    raise AssertionError(f"{what}: {_count(engine, query)} after {timeout} s, want {want}; "
                         f"unfinished jobs {jobs}; unprocessed messages {stuck}; their jobs {holders}")


@pytest.mark.slow
def test_three_workers_one_killed_nothing_lost_nothing_delivered_twice(tmp_path: Path, pg_engine: Engine) -> None:
    receiver = Receiver().start()
    receiver.default = Answer(204, delay=0.01)  # deliveries are in flight when the worker dies
    workspace = write_workspace(
        tmp_path, HUB_YAML + f"subscriptions:\n  mes:\n    url: {receiver.url('/mes')}\n    events: ['order.*']\n"
                            "webhooks:\n  retry_schedule: [1, 1, 1]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(ENV, HUB_WORKSPACE=str(workspace), HUB_LOG_LEVEL="warning",
               HUB_DATABASE_URL=pg_engine.url.render_as_string(hide_password=False),
               HUB_SECRET_KEY=SecretBox.generate_key(), HUB_WEBHOOK_ALLOW_NETWORKS="127.0.0.0/8")
    port = _free_port()
    server = _serve(env, port, "--no-worker")
    workers = [_worker(env, tmp_path / f"worker-{n}.log") for n in range(3)]
    victim = workers[0]
    acknowledged: dict[int, str] = {}
    held_at_death = 0

    async def send(http: httpx.AsyncClient, n: int) -> None:
        body = order(f"SO-{n:04d}")
        response = await http.post(f"http://127.0.0.1:{port}/webhooks/in/shop", content=body,
                                   headers=standard_headers(body, f"msg_{n:04d}"))
        assert response.status_code == 202, response.text
        acknowledged[n] = response.json()["id"]

    def victim_holds_claims() -> bool:
        with pg_engine.connect() as conn:
            return bool(conn.execute(text(
                "SELECT (SELECT count(*) FROM jobs WHERE status = 'running' AND lease_owner LIKE :owner)"
                " + (SELECT count(*) FROM deliveries WHERE status = 'pending' AND lease_owner LIKE :owner)"),
                {"owner": f"%:{victim.pid}:%"}).scalar_one())

    async def killer() -> None:
        while len(acknowledged) < 150 or len(receiver.requests) < 30:
            await asyncio.sleep(0.005)
        deadline = time.monotonic() + 60
        while not await asyncio.to_thread(victim_holds_claims):  # kill it while it holds work
            assert time.monotonic() < deadline, "the victim never claimed any work"
            await asyncio.sleep(0.001)
        victim.send_signal(signal.SIGKILL)
        await asyncio.to_thread(victim.wait)

    async def stream() -> None:
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=16), timeout=10) as http:
            queue = iter(range(WEBHOOKS))
            kill = asyncio.create_task(killer())

            async def lane() -> None:
                for n in queue:
                    await send(http, n)

            await asyncio.gather(*(lane() for _ in range(16)))
            await kill

    try:
        asyncio.run(stream())
        # The victim's leases would run out in a minute or two; make them run out now. Until this
        # moment no other worker could take what the victim held.
        taken_over_at = time.time()
        with pg_engine.connect() as conn:  # what the victim was delivering when it died
            dying = set(conn.execute(text("SELECT event_id FROM deliveries WHERE status = 'pending' "
                                          "AND lease_owner LIKE :owner"), {"owner": f"%:{victim.pid}:%"}).scalars())
        # (A leased delivery is due again at the lease's end: next_attempt_at moves with it.)
        for table, due in (("jobs", ""), ("deliveries", ", next_attempt_at = now() - interval '1 second'")):
            with pg_engine.begin() as conn:
                held_at_death += conn.execute(
                    text(f"UPDATE {table} SET lease_until = now() - interval '1 second'{due} "  # noqa: S608
                         "WHERE lease_owner LIKE :owner AND status IN ('running', 'pending')"),
                    {"owner": f"%:{victim.pid}:%"}).rowcount
        _wait_for(pg_engine, "messages processed", "SELECT count(*) FROM inbound_messages WHERE status = 'processed'",
                  WEBHOOKS)
        _wait_for(pg_engine, "deliveries succeeded", "SELECT count(*) FROM deliveries WHERE status = 'succeeded'",
                  WEBHOOKS)
    finally:
        for process in [server, *workers[1:]]:
            process.send_signal(signal.SIGTERM)
        for process in [server, *workers[1:]]:
            process.wait(timeout=60)
        receiver.close()

    assert sorted(acknowledged) == list(range(WEBHOOKS))
    with pg_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(MESSAGES)).scalar() == WEBHOOKS
        assert conn.execute(text("SELECT count(*) FROM orders")).scalar() == WEBHOOKS
        assert conn.execute(text("SELECT count(*) FROM events WHERE type = 'order.created'")).scalar() == WEBHOOKS
        delivery_ids = set(conn.execute(select(DELIVERIES.c.id)).scalars())
        webhook_ids = set(conn.execute(select(DELIVERIES.c.event_id)).scalars())  # webhook-id = the event id
        succeeded = Counter(conn.execute(
            select(ATTEMPTS.c.delivery_id).where(ATTEMPTS.c.status_code == 204)).scalars())
    assert len(delivery_ids) == WEBHOOKS  # one per event
    assert set(succeeded) == delivery_ids
    assert set(succeeded.values()) == {1}

    received = Counter(r.headers["webhook-id"] for r in receiver.requests)
    assert set(received) == webhook_ids  # every event reached the subscriber
    twice = {webhook_id for webhook_id, times in received.items() if times > 1}
    first_seen = {}
    for request in receiver.requests:
        first_seen.setdefault(request.headers["webhook-id"], request.at)
    # Only deliveries the victim held (sent, or sent and answered but not yet recorded) were sent again.
    assert twice <= dying, twice - dying
    # Their first copy came from the victim (a request it wrote just before dying may be read a
    # little after the kill, but always before another worker could claim the delivery).
    assert all(first_seen[webhook_id] < taken_over_at for webhook_id in twice), twice
    owner = {"owner": f"%:{victim.pid}:%"}
    with pg_engine.connect() as conn:  # the victim was working (jobs done, deliveries recorded) before it died
        done = conn.execute(text("SELECT count(*) FROM jobs WHERE lease_owner LIKE :owner"), owner).scalar_one()
        sent = conn.execute(text("SELECT count(*) FROM delivery_attempts WHERE worker LIKE :owner"), owner).scalar_one()
    assert done + sent + held_at_death > 0
