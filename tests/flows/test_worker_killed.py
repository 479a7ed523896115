"""A real `hub worker` process SIGKILLed in the middle of order-to-production, then another one takes over.

The simulators are real HTTP servers (the demo's), Kingdee answers slowly so the worker is
caught between the vendor's Save and the hub's record of the step. Afterwards Kingdee holds
exactly one production order per in-house line and the workshop got each notice once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from hub.db.engine import create_db_engine
from hub.db.migrate import upgrade
from hub.db.types import utcnow
from hub.demo.systems import Systems
from hub.demo.workspace import write_workspace
from hub.flows.registry import load_flows
from hub.flows.trigger import trigger_tick
from hub.sync.engine import SyncRequest, run_sync
from hub.workspace.loader import load_workspace

IN_HOUSE = {"01.01.0001", "01.01.0005", "01.01.0009", "01.01.0010", "01.01.0018"}


def _until(what: str, done: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "hub", "worker"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def _count(engine: Engine, query: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(query)).scalar_one())


@pytest.mark.slow
def test_a_killed_worker_process_leaves_no_second_production_order_or_notice(tmp_path: Path) -> None:
    systems = Systems().start()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        root = tmp_path / "ws"
        settings = write_workspace(root, systems)
        for flow in (root / "flows").iterdir():  # this test is about order-to-production alone
            if flow.stem != "order-to-production":
                flow.unlink()
        engine = create_db_engine(f"sqlite:///{root}/hub.db")
        upgrade(engine)
        kingdee = systems.kingdee
        number, lines = next((d["FBillNo"], d["FSaleOrderEntry"]) for d in kingdee.documents("SAL_SaleOrder")
                             if sum(line["FMaterialId.FNumber"] in IN_HOUSE for line in d["FSaleOrderEntry"]) >= 2)
        in_house = sorted(line["FMaterialId.FNumber"] for line in lines if line["FMaterialId.FNumber"] in IN_HOUSE)
        kingdee.modify("SAL_SaleOrder", [number], {"FDocumentStatus": "A"})
        workspace = load_workspace(root)
        for entity in ("customer", "order"):
            asyncio.run(run_sync(engine, workspace, SyncRequest("kingdee-main", entity)))
        with engine.begin() as conn:
            trigger_tick(conn, load_flows(root))  # flows act on what happens from now on
        kingdee.modify("SAL_SaleOrder", [number], {"FDocumentStatus": "C"})
        asyncio.run(run_sync(engine, workspace, SyncRequest("kingdee-main", "order")))

        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env.update(settings, HUB_WORKSPACE=str(root), HUB_LOG_LEVEL="warning")
        kingdee.knobs.latency_ms = 300  # every Kingdee call is slow: the victim is mid-push when it dies
        victim = _worker(env, tmp_path / "victim.log")
        workers.append(victim)
        _until("the first production order saved in Kingdee", lambda: len(kingdee.documents("PRD_MO")) >= 1)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        assert _count(engine, "SELECT count(*) FROM flow_steps WHERE step = 'production_orders' "
                              "AND status = 'succeeded'") == 0  # it died before recording the step
        saved_before_death = len(kingdee.documents("PRD_MO"))

        kingdee.knobs.latency_ms = 0
        with engine.begin() as conn:  # its lease would run out in two minutes; make that now
            conn.execute(text("UPDATE jobs SET lease_until = :past WHERE status = 'running'"),
                         {"past": utcnow().replace(year=2000).isoformat(timespec="microseconds")})
        workers.append(_worker(env, tmp_path / "survivor.log"))
        _until("the run to succeed", lambda: _count(
            engine, "SELECT count(*) FROM flow_runs WHERE status = 'succeeded'") == 1)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
        systems.stop()

    made = kingdee.documents("PRD_MO")
    assert 1 <= saved_before_death < len(in_house)  # killed half-way through the push step
    assert sorted(d["FTreeEntity"][0]["FMaterialId.FNumber"] for d in made) == in_house  # none twice
    notices = systems.dingtalk.work_notifications
    delivered = Counter((user, str(n["msg"])) for n in notices for user in n["delivered_to"])
    assert sorted(delivered.values()) == [1] * len(in_house)
    assert _count(engine, "SELECT count(*) FROM production_orders") == len(in_house)
