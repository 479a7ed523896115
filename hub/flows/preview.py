"""A dry run of a flow on one event: what each step would do, with nothing pushed, sent or written.

For an admin writing or fixing a flow: the trigger's verdict, then per step whether it would
run, the items it would act on and the values it would send (a push's vendor record after
the reverse mapping, a notice's connector record, a record step's fields). A value that
needs an earlier step's output is shown as unknown until a real run has that output.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from hub.db.types import utcnow
from hub.errors import HubError, NotFoundError
from hub.events.outbox import EVENTS
from hub.flows.expressions import ExpressionError, as_cel
from hub.flows.spec import Flow, Step
from hub.flows.steps import message_record, value
from hub.flows.trigger import event_document
from hub.mapping.lookups import StoreResolver
from hub.mapping.registry import MappingRegistry
from hub.store.records import get_record
from hub.workspace.loader import Workspace


def event_for(conn: Connection, event_id: str) -> dict[str, Any]:
    row = conn.execute(select(EVENTS).where(EVENTS.c.id == event_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no event {event_id!r}; `hub flows preview` takes an id from GET /api/v1/events")
    return event_document(dict(row))


def event_of_record(conn: Connection, entity: str, record_id: str, event_type: str) -> dict[str, Any]:
    """An event as if ``event_type`` had just happened to the record as it is now."""
    record = get_record(conn, entity, record_id)
    return {"id": "(preview)", "seq": 0, "type": event_type, "entity": entity, "record_id": record_id,
            "version": record.get("version"), "data": record, "changes": None, "timestamp": utcnow().isoformat()}


def preview_flow(conn: Connection, flow: Flow, workspace: Workspace, mappings: MappingRegistry,
                 event: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    record = event.get("data") or {}
    if event.get("record_id") and event.get("entity"):
        with contextlib.suppress(NotFoundError):
            record = get_record(conn, event["entity"], event["record_id"])
    activation: dict[str, Any] = {"event": as_cel(event), "record": as_cel(record), "steps": {},
                                  "vars": as_cel(dict(flow.vars)), "run": {"id": "(preview)", "flow": flow.name},
                                  "now": now}
    report: dict[str, Any] = {"flow": flow.name, "event": {"id": event.get("id"), "type": event.get("type")},
                              "trigger": _trigger(flow, event, activation), "steps": []}
    for step in flow.steps:
        report["steps"].append(_step(conn, step, activation, workspace, mappings))
    return report


def _trigger(flow: Flow, event: dict[str, Any], activation: dict[str, Any]) -> dict[str, Any]:
    if not flow.trigger.matches_type(str(event.get("type"))):
        return {"starts": False, "why": f"{event.get('type')} is not one of {', '.join(flow.trigger.events)}"}
    if flow.trigger.when is None:
        return {"starts": True}
    try:
        holds = flow.trigger.when.test(activation)
    except HubError as exc:
        return {"starts": False, "why": exc.message}
    return {"starts": holds} if holds else {"starts": False, "why": f"when is false: {flow.trigger.when.source}"}


def _step(conn: Connection, step: Step, activation: dict[str, Any], workspace: Workspace,
          mappings: MappingRegistry) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": step.id, "kind": step.kind}
    try:
        if step.kind == "branch":
            taken = step.option("if").test(activation)
            target = step.option("then" if taken else "else")
            return {**shown, "would": "branch", "took": "then" if taken else "else", "goes_to": target or "next"}
        if step.when is not None and step.for_each is None and not step.when.test(activation):
            return {**shown, "would": "skip", "why": f"when is false: {step.when.source}"}
        if step.for_each is not None:
            items = step.for_each.evaluate(activation)
            chosen = [(i, {**activation, "item": item, "index": i}) for i, item in enumerate(items)]
            chosen = [(i, a) for i, a in chosen if step.when is None or step.when.test(a)]
            return {**shown, "would": "run", "items": [
                {"index": i, **_values(conn, step, a, workspace, mappings)} for i, a in chosen],
                "left_out": len(items) - len(chosen)}
        return {**shown, "would": "run", **_values(conn, step, activation, workspace, mappings)}
    except ExpressionError as exc:
        source = str((exc.details or {}).get("expression", "")) if isinstance(exc.details, dict) else ""
        if re.search(r"\bsteps\b", source):  # an earlier step's output: a preview has none
            return {**shown, "would": "unknown", "why": f"{exc.message} (an earlier step's output is known "
                                                        "only when it runs)"}
        return {**shown, "would": "fail", "why": exc.message}
    except HubError as exc:
        return {**shown, "would": "fail", "why": exc.message}


def _values(conn: Connection, step: Step, activation: dict[str, Any], workspace: Workspace,
            mappings: MappingRegistry) -> dict[str, Any]:
    if step.kind == "push":
        record = value(step, "record", activation) or {}
        name = step.option("mapping")
        if not name:
            return {"sends": record}
        vendor = mappings.get(name).mapping.reverse(record, StoreResolver(conn))
        return {"record": record, "sends": vendor}
    if step.kind == "notify":
        kind = workspace.config.connectors[step.option("connector")].type
        return {"sends": message_record(kind, step.option("action"), to=value(step, "to", activation),
                                        template=step.option("template"), lang=value(step, "lang", activation),
                                        data=value(step, "data", activation) or {},
                                        extra=value(step, "message", activation) or {})}
    if step.kind == "record":
        target = value(step, "record_id", activation)
        return {"updates" if target else "creates": step.option("entity"), "record_id": target,
                "key": None if target else value(step, "key", activation), "fields": value(step, "fields", activation)}
    if step.kind == "find":
        return {"entity": step.option("entity"), "where": value(step, "where", activation)}
    if step.kind == "webhook":
        return {"subscription": step.option("subscription"), "event": step.option("event"),
                "data": value(step, "data", activation)}
    if step.kind == "wait":
        for key in ("delay", "at"):
            if key in step.options:
                return {key: value(step, key, activation)}
        return {"until": step.option("until").source, "holds_now": step.option("until").test(activation),
                "timeout": step.option("timeout")}
    return {}
