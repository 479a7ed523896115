"""Running flows: one run per flow and event, steps persisted, outputs passed on, failures resumable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import Engine, text

from hub.db.types import utcnow
from hub.errors import RetryableError
from hub.flows.registry import FlowCache
from hub.flows.runs import purge_runs, resume_run
from hub.flows.trigger import FlowTrigger
from hub.sdk import ActionSpec, Connector, ConnectorSettings, Health, Page, PushResult, StreamState, registry
from hub.store import Store
from tests.flows.helpers import FRAGILE, run_flows, start_cursor, steps_of, store_order, write_flow

PROJECT_FLOW = """
    name: order-project
    trigger:
      event: order.confirmed
      when: double(record.total) >= 50.0
    vars: {manager: 王经理}
    steps:
      - id: project
        kind: record
        entity: project
        key: ='project-' + record.number
        fields:
          code: ='P-' + record.number
          name: ='项目 ' + record.number
          manager: =vars.manager
          status: active
      - id: same-customer
        kind: find
        entity: project
        where: {code: =steps.project.record.code}
      - id: big
        kind: branch
        if: double(record.total) >= 1000.0
        then: mark
        else: end
      - id: mark
        kind: record
        entity: order
        record_id: =record.id
        fields: {status: in_production}
"""


def test_a_confirmed_order_starts_one_run_whose_steps_see_earlier_outputs(engine: Engine, tmp_path: Path) -> None:
    db_engine = engine  # SQLite and PostgreSQL (the trigger locks its cursor row there)
    write_flow(tmp_path, "order-project", PROJECT_FLOW)
    start_cursor(db_engine, tmp_path)
    small = store_order(db_engine, "SO-1", total="10.00")  # the trigger's condition is false: no run
    big = store_order(db_engine, "SO-2", total="5000.00")
    medium = store_order(db_engine, "SO-3", total="60.00")

    runs = run_flows(db_engine, tmp_path)

    assert sorted((r["record_id"], r["status"]) for r in runs) == sorted([(big, "succeeded"), (medium, "succeeded")])
    assert small not in {r["record_id"] for r in runs}
    store = Store(db_engine)
    big_run = next(r for r in runs if r["record_id"] == big)
    project = store.get("project", big_run["outputs"]["project"]["id"])
    assert (project["code"], project["name"], project["manager"]) == ("P-SO-2", "项目 SO-2", "王经理")
    assert big_run["outputs"]["same-customer"]["count"] == 1
    assert big_run["outputs"]["big"] == {"took": "then"}
    assert store.get("order", big)["status"] == "in_production"  # the flow's update wins as the newest source
    assert store.get("order", medium)["status"] == "confirmed"  # branch went to end
    assert set(steps_of(db_engine, big_run["id"])) == {"project", "same-customer", "big", "mark"}
    with db_engine.connect() as conn:
        events = [t for (t,) in conn.execute(text("SELECT type FROM events WHERE entity = 'project'"))]
    assert events == ["project.created", "project.created"]

    assert run_flows(db_engine, tmp_path) == runs  # nothing new: no second run for the same event



def test_a_failed_step_fails_the_run_there_and_a_resume_goes_on_from_it(db_engine: Engine, tmp_path: Path) -> None:
    path = write_flow(tmp_path, "fragile", FRAGILE)
    start_cursor(db_engine, tmp_path)
    store_order(db_engine, "SO-9")

    [run] = run_flows(db_engine, tmp_path)

    assert (run["status"], run["step"], run["error"]["step"]) == ("failed", "second", "second")
    assert "no_such_field" in run["error"]["message"]
    steps = steps_of(db_engine, run["id"])
    assert (steps["first"]["status"], steps["second"]["status"]) == ("succeeded", "failed")

    path.write_text(path.read_text().replace("record.no_such_field", "'fixed-' + record.number"))
    with db_engine.begin() as conn:
        resume_run(conn, run["id"], now=utcnow())
    [run] = run_flows(db_engine, tmp_path)

    assert run["status"] == "succeeded"
    assert Store(db_engine).get("project", run["outputs"]["second"]["id"])["code"] == "fixed-SO-9"
    assert steps_of(db_engine, run["id"])["first"]["attempts"] == 1  # not done again


WAIT_FLOW = """
    name: sla
    trigger: {event: order.confirmed}
    steps:
      - id: pause
        kind: wait
        delay: 1h
      - id: until-paid
        kind: wait
        until: has(record.payment_status) && record.payment_status == "paid"
        every: 10m
        timeout: 1d
      - id: done
        kind: record
        entity: order
        record_id: =record.id
        fields: {status: completed}
"""


def test_waits_hold_the_run_until_their_time_or_condition(db_engine: Engine, tmp_path: Path) -> None:
    write_flow(tmp_path, "sla", WAIT_FLOW)
    start_cursor(db_engine, tmp_path)
    order_id = store_order(db_engine, "SO-5")

    [run] = run_flows(db_engine, tmp_path)
    assert (run["status"], run["step"]) == ("waiting", "pause")

    later = timedelta(hours=1, seconds=1)
    _time_passes(db_engine, later)
    [run] = run_flows(db_engine, tmp_path, clock=lambda: utcnow() + later)
    assert (run["status"], run["step"]) == ("waiting", "until-paid")

    store_order(db_engine, "SO-5", payment_status="paid")  # the record changes: the wait looks again at once
    [run] = run_flows(db_engine, tmp_path, clock=lambda: utcnow() + later)
    assert run["status"] == "succeeded"
    assert Store(db_engine).get("order", order_id)["status"] == "completed"


def _time_passes(engine: Engine, delta: timedelta) -> None:
    """Make the queued jobs due now, as they would be after ``delta`` (the runner's clock moves on too)."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE jobs SET run_after = :at WHERE status = 'queued'"),
                     {"at": (utcnow() - timedelta(seconds=1)).isoformat(timespec="microseconds")})


class FlakyConnector(Connector):
    """Fails its first pushes with a transient error, then succeeds; counts what it created."""

    type = "flaky"
    settings_model = ConnectorSettings
    actions: ClassVar[dict[str, ActionSpec]] = {"thing": ActionSpec("thing")}
    failures = 0
    created: ClassVar[dict[str, int]] = {}

    async def check(self) -> Health:
        return Health(True, "ok")

    async def read(self, stream: str, state: StreamState, *, full: bool) -> AsyncIterator[Page]:
        raise NotImplementedError
        yield  # pragma: no cover

    async def push(self, action: str, record: dict[str, Any], *, idempotency_key: str) -> PushResult:
        if FlakyConnector.failures > 0:
            FlakyConnector.failures -= 1
            raise RetryableError("the system is busy")
        FlakyConnector.created[idempotency_key] = FlakyConnector.created.get(idempotency_key, 0) + 1
        return PushResult(f"T-{len(FlakyConnector.created)}", created=True)


RETRY_FLOW = """
    name: retrying
    trigger: {event: order.confirmed}
    steps:
      - id: send
        kind: push
        connector: flaky-one
        action: thing
        record: {number: =record.number}
        retry: {attempts: 3, backoff: 2s}
"""


@pytest.mark.parametrize(("failures", "outcome", "attempts"), [(2, "succeeded", 3), (3, "failed", 3)])
def test_a_step_retries_on_its_schedule_then_fails_the_run(
    db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failures: int, outcome: str, attempts: int
) -> None:
    monkeypatch.setattr(registry, "connector_types", lambda: {"flaky": FlakyConnector})
    monkeypatch.setattr(FlakyConnector, "failures", failures)
    monkeypatch.setattr(FlakyConnector, "created", {})
    (tmp_path / "hub.yaml").write_text("connectors:\n  flaky-one:\n    type: flaky\n    settings: {base_url: 'http://x'}\n",
                                       encoding="utf-8")
    write_flow(tmp_path, "retrying", RETRY_FLOW)
    start_cursor(db_engine, tmp_path)
    store_order(db_engine, "SO-7")

    [run] = run_flows(db_engine, tmp_path)
    delays = []
    while run["status"] == "running":
        with db_engine.connect() as conn:
            [(after,)] = conn.execute(text("SELECT run_after FROM jobs WHERE status = 'queued'")).all()
        delays.append(round((datetime.fromisoformat(str(after)) - utcnow()).total_seconds()))
        _time_passes(db_engine, timedelta(seconds=delays[-1]))
        [run] = run_flows(db_engine, tmp_path)

    assert run["status"] == outcome
    assert delays == [2, 4][:attempts - 1]  # the step's backoff, doubling
    step = steps_of(db_engine, run["id"])["send"]
    assert (step["status"], step["attempts"]) == ("succeeded" if outcome == "succeeded" else "failed", attempts)
    assert list(FlakyConnector.created.values()) == ([1] if outcome == "succeeded" else [])
    if outcome == "failed":
        assert run["error"]["code"] == "retryable"
        assert "after 3 attempts" in run["error"]["message"]


def test_retention_deletes_finished_runs_and_keeps_failed_ones(db_engine: Engine, tmp_path: Path) -> None:
    write_flow(tmp_path, "order-project", PROJECT_FLOW)
    write_flow(tmp_path, "fragile", FRAGILE)
    start_cursor(db_engine, tmp_path)
    store_order(db_engine, "SO-2", total="5000.00")
    runs = run_flows(db_engine, tmp_path)
    assert sorted(r["status"] for r in runs) == ["failed", "succeeded"]

    with db_engine.begin() as conn:
        assert purge_runs(conn, before=utcnow() - timedelta(days=1)) == 0  # too recent
        assert purge_runs(conn, before=utcnow() + timedelta(seconds=1)) == 1

    [kept] = run_flows(db_engine, tmp_path)
    assert kept["status"] == "failed"  # waits for a resume or a cancel
    with db_engine.connect() as conn:
        assert {r for (r,) in conn.execute(text("SELECT DISTINCT run_id FROM flow_steps"))} == {kept["id"]}


def test_a_flow_added_later_acts_on_what_happens_then_not_on_what_happened_without_it(
    db_engine: Engine, tmp_path: Path
) -> None:
    path = write_flow(tmp_path, "order-project", PROJECT_FLOW)
    start_cursor(db_engine, tmp_path)
    path.unlink()  # no flows for a while; orders keep coming
    store_order(db_engine, "SO-OLD-1", total="5000.00")
    store_order(db_engine, "SO-OLD-2", total="5000.00")
    FlowTrigger(db_engine, FlowCache(tmp_path, check_every=0)).tick()

    write_flow(tmp_path, "order-project", PROJECT_FLOW)
    new = store_order(db_engine, "SO-NEW", total="5000.00")
    runs = run_flows(db_engine, tmp_path)

    assert [r["record_id"] for r in runs] == [new]
