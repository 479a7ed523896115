"""A worker dying mid-flow, and a failed step resumed: nothing is done twice in any system.

"Dying" here is the worst moment: the step's effect reached the vendor (the production
orders are saved, the message is sent), and the process is gone before the step is recorded.
The job's lease then runs out and a fresh worker (a new process: no memory of what was sent)
runs the step again with the same idempotency keys.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from hub.db.types import utcnow
from hub.flows.engine import FlowRunner
from hub.flows.registry import FlowCache, load_flows
from hub.flows.runs import FLOW_STEP_JOB, resume_run
from hub.flows.trigger import trigger_tick
from hub.jobs.queue import claim
from hub.settings import Settings
from tests.flows.helpers import run_flows, steps_of
from tests.flows.simulators import Systems
from tests.flows.test_order_to_production import IN_HOUSE
from tests.flows.test_order_to_production import prepared as order_prepared
from tests.flows.test_signed_contract_to_project import approve_contract, kingdee_customer
from tests.flows.test_signed_contract_to_project import prepared as contract_prepared


class Died(BaseException):
    """The process is gone: nothing after this point runs (not even except Exception blocks)."""


def _die_when_recording(monkeypatch: pytest.MonkeyPatch, step_id: str) -> None:
    original = FlowRunner._finish

    def finish(self: FlowRunner, step: Any, *args: Any, **kwargs: Any) -> Any:
        if step.id == step_id:
            raise Died(step_id)
        return original(self, step, *args, **kwargs)

    monkeypatch.setattr(FlowRunner, "_finish", finish)


def _crash_in(sys: Systems, monkeypatch: pytest.MonkeyPatch, step_id: str) -> None:
    """Start the runs, then a worker takes the first step job and dies while recording ``step_id``."""
    with sys.engine.begin() as conn:
        while trigger_tick(conn, load_flows(sys.root)):
            pass
    _die_when_recording(monkeypatch, step_id)
    runner = FlowRunner(sys.engine, Settings(workspace=sys.root), flows=FlowCache(sys.root, check_every=0),
                        transport=sys.transport)
    with sys.engine.begin() as conn:
        [job] = claim(conn, "victim:1:x", (FLOW_STEP_JOB,), limit=1)
    with pytest.raises(Died):
        asyncio.run(runner.handle(job))
    monkeypatch.undo()
    past = (utcnow() - timedelta(seconds=1)).isoformat(timespec="microseconds")
    with sys.engine.begin() as conn:  # its lease runs out (now, rather than in two minutes)
        assert conn.execute(text("UPDATE jobs SET lease_until = :past WHERE lease_owner = 'victim:1:x' "
                                 "AND status = 'running'"), {"past": past}).rowcount == 1


@pytest.mark.parametrize("dies_in", ["production_orders", "notify_workshop"])
def test_order_to_production_survives_a_worker_death_without_a_second_production_order_or_notice(
    db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dies_in: str
) -> None:
    sys, number, lines = order_prepared(tmp_path, db_engine)
    sys.kingdee.modify("SAL_SaleOrder", [number], {"FDocumentStatus": "C"})
    sys.sync("kingdee-main", "order")

    _crash_in(sys, monkeypatch, dies_in)
    [run] = run_flows(db_engine, sys.root, transport=sys.transport)  # another worker takes over

    assert run["status"] == "succeeded", run["error"]
    in_house = sorted(line["FMaterialId.FNumber"] for line in lines if line["FMaterialId.FNumber"] in IN_HOUSE)
    made = sys.kingdee.documents("PRD_MO")
    assert sorted(d["FTreeEntity"][0]["FMaterialId.FNumber"] for d in made) == in_house  # none twice
    delivered = Counter((user, d["msg"]["markdown"]["title"]) for d in sys.dingtalk.work_notifications
                        for user in d["delivered_to"])
    assert sorted(delivered.values()) == [1] * len(made)  # each production order's notice reached the manager once
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM production_orders")).scalar() == len(made)
        assert conn.execute(text("SELECT count(*) FROM events WHERE type = 'production_order.created'")).scalar() \
            == len(made)


@pytest.mark.parametrize("dies_in", ["notify_team", "receivable"])
def test_signed_contract_survives_a_worker_death_without_a_second_message_or_receivable(
    db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dies_in: str
) -> None:
    sys = contract_prepared(tmp_path, db_engine)
    approve_contract(sys, kingdee_customer(sys)["name"])

    _crash_in(sys, monkeypatch, dies_in)
    [run] = run_flows(db_engine, sys.root, transport=sys.transport)

    assert run["status"] == "succeeded", run["error"]
    assert len(sys.kingdee.documents("AR_receivable")) == 1
    assert len([m for m in sys.wecom.messages if m.body.get("msgtype") == "textcard"]) == 1
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM projects")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM deliveries")).scalar() == 1


def test_a_failed_step_is_resumed_after_the_fault_is_fixed_and_does_only_what_was_left(
    db_engine: Engine, tmp_path: Path
) -> None:
    sys, number, lines = order_prepared(tmp_path, db_engine)
    sys.kingdee.modify("SAL_SaleOrder", [number], {"FDocumentStatus": "C"})
    sys.sync("kingdee-main", "order")
    env = sys.root / ".env"
    right = env.read_text()
    env.write_text(right.replace("KD_PASSWORD=", "KD_PASSWORD=wrong-"))  # someone changed the integration password

    [run] = run_flows(db_engine, sys.root, transport=sys.transport)

    assert (run["status"], run["error"]["step"]) == ("failed", "production_orders")
    assert "password" in run["error"]["message"].lower() or "login" in run["error"]["message"].lower()
    assert steps_of(db_engine, run["id"])["production_orders"]["status"] == "failed"
    assert sys.kingdee.documents("PRD_MO") == []

    env.write_text(right)  # the admin puts the right password back, then resumes the run
    with db_engine.begin() as conn:
        resume_run(conn, run["id"], now=utcnow())
    [run] = run_flows(db_engine, sys.root, transport=sys.transport)

    assert run["status"] == "succeeded", run["error"]
    in_house = [line for line in lines if line["FMaterialId.FNumber"] in IN_HOUSE]
    assert len(sys.kingdee.documents("PRD_MO")) == len(in_house)
    assert len(sys.dingtalk.work_notifications) == len(in_house)
