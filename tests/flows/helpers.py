"""A workspace with flows, orders stored as a source system would, and the worker drained."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from hub.flows.engine import flow_handler
from hub.flows.registry import FlowCache, load_flows
from hub.flows.runs import FLOW_STEP_JOB, list_runs, run_steps
from hub.flows.trigger import trigger_tick
from hub.jobs.worker import Worker
from hub.settings import Settings
from hub.store import SourceRecord, Store

FRAGILE = """
    name: fragile
    description: makes a project, then breaks
    trigger: {event: order.confirmed}
    steps:
      - id: first
        kind: record
        entity: project
        fields: {code: =record.number}
      - id: second
        kind: record
        entity: project
        key: =record.number
        fields: {code: =record.no_such_field}
"""  # fails at its second step until the field is fixed: for failure, retry and resume tests


def write_flow(workspace: Path, name: str, text: str) -> Path:
    folder = workspace / "flows"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def store_order(engine: Engine, number: str, **fields: Any) -> str:
    fields = {"number": number, "status": "confirmed", "currency": "CNY", "total": "100.00", **fields}
    result = Store(engine).upsert_one("order", SourceRecord("shop", "order", number, fields))
    assert result.record_id is not None, result
    return result.record_id


def start_cursor(engine: Engine, workspace: Path) -> None:
    """The trigger's first tick sets its cursor at the newest event (flows act on what comes after)."""
    with engine.begin() as conn:
        trigger_tick(conn, load_flows(workspace))


def run_flows(engine: Engine, workspace: Path, **handler: Any) -> list[dict[str, Any]]:
    """Start the runs of new events, then run every due step job; the runs, newest first."""
    registry = load_flows(workspace)
    registry.raise_for_problems()
    with engine.begin() as conn:
        while trigger_tick(conn, registry):
            pass
    settings = Settings(workspace=workspace)
    worker = Worker(engine, {FLOW_STEP_JOB: flow_handler(engine, settings, flows=FlowCache(workspace, check_every=0),
                                                         **handler)})
    asyncio.run(worker.drain())
    with engine.connect() as conn:
        return list_runs(conn, limit=200)[0]


def steps_of(engine: Engine, run_id: str) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        return {s["step"]: s for s in run_steps(conn, run_id)}
