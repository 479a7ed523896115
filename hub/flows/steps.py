"""What each step kind does. An executor returns the step's output (``steps.<id>`` to later steps).

Effects outside the hub (push, notify) carry the idempotency key run + step (+ item index),
so a step retried after a crash finds what it did instead of doing it twice. Effects inside
the hub (record, webhook) are written in the same transaction that records the step as done.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, and_, insert, select

from hub.db.engine import read_only
from hub.errors import ConfigError, NotFoundError, RecordError
from hub.flows.expressions import Value, as_cel, plain
from hub.flows.runs import idempotency_key
from hub.flows.spec import Flow, Step
from hub.mapping.lookups import StoreResolver
from hub.mapping.registry import MappingRegistry
from hub.sdk.contract import Connector
from hub.security.secrets import SecretBox
from hub.store import SourceRecord, upsert_records
from hub.store.entities import get_entity
from hub.store.records import REFS, get_record
from hub.sync.plan import build_connector, connector_config
from hub.workspace.loader import Workspace
from webhooks.outbound.fanout import encode_body
from webhooks.outbound.tables import DELIVERIES, SUBSCRIPTIONS

HUB_SYSTEM = "hub"
FLOW_OBJECT = "flows"  # the crosswalk object of records flows create or update


class ConnectorPool:
    """Connectors kept across steps and runs (their HTTP clients and tokens), rebuilt when hub.yaml changes them."""

    def __init__(self, engine: Engine, secrets: SecretBox | None, transport: httpx.AsyncBaseTransport | None) -> None:
        self.engine = engine
        self.secrets = secrets
        self.transport = transport
        self._made: dict[str, tuple[str, Connector]] = {}

    async def get(self, workspace: Workspace, name: str) -> Connector:
        signature = connector_config(workspace, name).model_dump_json()
        known = self._made.get(name)
        if known is not None and known[0] == signature:
            return known[1]
        connector = build_connector(workspace, name, engine=self.engine, secrets=self.secrets,
                                    transport=self.transport)
        self._made[name] = (signature, connector)
        if known is not None:
            await known[1].aclose()
        return connector

    async def aclose(self) -> None:
        for _, connector in self._made.values():
            await connector.aclose()
        self._made.clear()


@dataclass
class StepContext:
    """What a step sees: the run, its flow, the workspace, and the activation for its expressions."""

    engine: Engine
    workspace: Workspace
    mappings: MappingRegistry
    flow: Flow
    run: dict[str, Any]
    activation: dict[str, Any]
    now: datetime
    pool: ConnectorPool
    # Writes a step made outside the database leaves for the transaction that records it.
    deferred: list[Callable[[Connection], None]] = field(default_factory=list)

    async def connector(self, name: str) -> Connector:
        return await self.pool.get(self.workspace, name)


def items_of(step: Step, ctx: StepContext) -> list[tuple[int | None, dict[str, Any]]]:
    """(index, activation) per item a step acts on: each list item that passes ``when``, or the step once."""
    if step.for_each is None:
        return [(None, ctx.activation)]
    values = step.for_each.evaluate(ctx.activation)
    if not isinstance(values, list):
        raise RecordError(f"step {step.id}: for_each {step.for_each.source!r} gave {type(values).__name__}, "
                          "not a list")
    chosen: list[tuple[int | None, dict[str, Any]]] = []
    for index, item in enumerate(values):
        activation = {**ctx.activation, "item": item, "index": index}
        if step.when is None or step.when.test(activation):
            chosen.append((index, activation))
    return chosen


def value(step: Step, name: str, activation: Mapping[str, Any], default: Any = None) -> Any:
    option = step.option(name)
    if option is None:
        return default
    return plain(option.evaluate(activation)) if isinstance(option, Value) else option


# -- push and notify: through a connector ------------------------------------------------------------


async def push(step: Step, ctx: StepContext) -> dict[str, Any]:
    connector = await ctx.connector(step.option("connector"))
    mapping_name = step.option("mapping")
    mapping = ctx.mappings.get(mapping_name).mapping if mapping_name else None
    store = step.option("store")
    results: list[dict[str, Any]] = []
    stored: list[tuple[int, SourceRecord]] = []  # (position in results, the pushed record as the hub keeps it)
    for index, activation in items_of(step, ctx):
        record = value(step, "record", activation) or {}
        if not isinstance(record, dict):
            raise RecordError(f"step {step.id}: record must be a mapping of fields, got {type(record).__name__}")
        vendor = await asyncio.to_thread(_reverse, ctx.engine, mapping, record) if mapping else record
        key = idempotency_key(ctx.run["id"], step.id, index)
        result = await connector.push(step.option("action"), vendor, idempotency_key=key)
        if store is not None and mapping is not None:
            fields = {k: v for k, v in record.items() if k != "id"}
            stored.append((len(results), SourceRecord(connector.context.system, mapping.object, result.external_id,
                                                      fields, raw=result.raw, mapping=mapping.name)))
        results.append({"index": index, "external_id": result.external_id, "created": result.created,
                        "record": record})
    output = _collect(step, results)
    if stored:
        ctx.deferred.append(lambda conn: _store_pushed(conn, ctx, step, store["entity"], stored, output))
    return output


def _reverse(engine: Engine, mapping: Any, record: dict[str, Any]) -> dict[str, Any]:
    with read_only(engine) as conn:
        return dict(mapping.reverse(record, StoreResolver(conn)))


def _store_pushed(conn: Connection, ctx: StepContext, step: Step, entity: str,
                  stored: list[tuple[int, SourceRecord]], output: dict[str, Any]) -> None:
    """The pushed records as canonical records known under the ids the system gave them.

    Written in the transaction that records the step, so the step and its records commit together.
    """
    outcomes = upsert_records(conn, entity, [source for _, source in stored], ctx.workspace.store_rules, now=ctx.now)
    for (position, _), outcome in zip(stored, outcomes, strict=True):
        if outcome.error is not None:
            raise outcome.error
        target = output["items"][position] if step.for_each is not None else output
        target["record_id"] = outcome.record_id


def _collect(step: Step, results: list[dict[str, Any]]) -> dict[str, Any]:
    if step.for_each is None:
        return {k: v for k, v in results[0].items() if k != "index"} if results else {"skipped": True}
    return {"items": results, "count": len(results), "created": sum(1 for r in results if r.get("created"))}


async def notify(step: Step, ctx: StepContext) -> dict[str, Any]:
    name = step.option("connector")
    connector = await ctx.connector(name)
    kind = connector_config(ctx.workspace, name).type
    action = step.option("action")
    results = []
    for index, activation in items_of(step, ctx):
        record = message_record(kind, action, to=value(step, "to", activation), template=step.option("template"),
                                lang=value(step, "lang", activation), data=value(step, "data", activation) or {},
                                extra=value(step, "message", activation) or {})
        result = await connector.push(action, record, idempotency_key=idempotency_key(ctx.run["id"], step.id, index))
        results.append({"index": index, "external_id": result.external_id, "created": result.created})
    return _collect(step, results)


def message_record(kind: str, action: str, *, to: Any, template: str | None, lang: str | None,
                   data: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """The push record a connector's message action takes, from the notify step's parts."""
    templated: dict[str, Any] = {"template": template, "lang": lang or "zh", "data": data} if template else {}
    recipients = ("|".join(to) if isinstance(to, list) else to) if to is not None else None
    if kind == "wecom" and action == "message":
        record = {"touser": recipients, "msgtype": "textcard" if template else "text", **templated}
    elif kind == "dingtalk" and action in ("robot", "work_notification"):
        record = {"msgtype": "markdown", **templated}
        if action == "work_notification":
            record["userid_list"] = to if isinstance(to, list) else [to] if to else []
    elif kind == "dingtalk" and action == "todo":
        record = {"executorIds": to if isinstance(to, list) else [to] if to else []}
    elif kind == "mail":
        record = {"to": to, "template": template, "language": lang, "variables": data}
    else:
        record = {"to": to, **templated}
    record.update(extra)
    return {k: v for k, v in record.items() if v is not None}


# -- inside the hub: record, find, webhook --------------------------------------------------------------


def record(step: Step, ctx: StepContext, conn: Connection) -> dict[str, Any]:
    """Create a canonical record (keyed by ``key``) or update one (``record_id``), as the source ``hub/flows``."""
    entity = step.option("entity")
    fields = value(step, "fields", ctx.activation) or {}
    if not isinstance(fields, dict):
        raise RecordError(f"step {step.id}: fields must be a mapping, got {type(fields).__name__}")
    target = value(step, "record_id", ctx.activation)
    if target:
        external_id, attach = str(target), str(target)
        earlier = _earlier_fields(conn, entity, external_id)  # what flows said before still holds
        if isinstance(earlier.get("attributes"), dict) and isinstance(fields.get("attributes"), dict):
            fields = {**fields, "attributes": {**earlier["attributes"], **fields["attributes"]}}
        fields = {**earlier, **fields}
    else:
        external_id = str(value(step, "key", ctx.activation) or idempotency_key(ctx.run["id"], step.id))
        attach = None
    source = SourceRecord(HUB_SYSTEM, FLOW_OBJECT, external_id, fields, raw=None, attach_to=attach)
    try:
        [outcome] = upsert_records(conn, entity, [source], ctx.workspace.store_rules, now=ctx.now)
    except NotFoundError as exc:
        raise RecordError(f"step {step.id}: {exc.message}") from exc
    if outcome.error is not None:
        raise RecordError(f"step {step.id}: {outcome.error.message}", details=outcome.error.details)
    stored = get_record(conn, entity, outcome.record_id) if outcome.record_id else None
    return {"id": outcome.record_id, "action": outcome.action, "version": outcome.version,
            "record": as_cel(stored) if stored else None}


def _earlier_fields(conn: Connection, entity: str, record_id: str) -> dict[str, Any]:
    row = conn.execute(select(REFS.c.fields).where(
        REFS.c.entity == entity, REFS.c.system == HUB_SYSTEM, REFS.c.object == FLOW_OBJECT,
        REFS.c.external_id == record_id)).first()
    return dict(row[0] or {}) if row else {}


def find(step: Step, ctx: StepContext, conn: Connection) -> dict[str, Any]:
    entity = get_entity(step.option("entity"))
    where = value(step, "where", ctx.activation) or {}
    limit = int(value(step, "limit", ctx.activation, 100))
    table = entity.table
    unknown = [name for name in where if name not in table.c]
    if unknown:
        raise ConfigError(f"step {step.id}: {entity.name} has no field {', '.join(unknown)}")
    conditions = [table.c[name] == wanted for name, wanted in where.items()]
    if "deleted_at" in table.c:
        conditions.append(table.c.deleted_at.is_(None))
    rows = conn.execute(select(table.c.id).where(and_(*conditions)).order_by(table.c.id).limit(limit)).scalars()
    records = [as_cel(get_record(conn, entity.name, record_id)) for record_id in rows]
    return {"records": records, "count": len(records)}


def webhook(step: Step, ctx: StepContext, conn: Connection) -> dict[str, Any]:
    """One signed delivery to the subscription; its webhook-id comes from the run and step, so it is sent once."""
    name = step.option("subscription")
    subscription = conn.execute(select(SUBSCRIPTIONS.c.id, SUBSCRIPTIONS.c.enabled)
                                .where(SUBSCRIPTIONS.c.name == name)).first()
    if subscription is None:
        raise ConfigError(f"step {step.id}: no subscription {name!r} (hub.yaml subscriptions or the API)")
    results = []
    for index, activation in items_of(step, ctx):
        key = idempotency_key(ctx.run["id"], step.id, index)
        webhook_id = "evt_flow_" + hashlib.sha256(key.encode()).hexdigest()[:24]
        existing = conn.execute(select(DELIVERIES.c.id).where(DELIVERIES.c.event_id == webhook_id,
                                                              DELIVERIES.c.subscription_id == subscription.id)).first()
        if existing is None:
            body = encode_body({"type": step.option("event"), "timestamp": ctx.now.isoformat(),
                                "data": value(step, "data", activation)})
            delivery_id = "dlv_" + webhook_id[4:]
            conn.execute(insert(DELIVERIES).values(
                id=delivery_id, subscription_id=subscription.id, event_id=webhook_id,
                event_seq=int((ctx.run["context"].get("event") or {}).get("seq") or 0),
                event_type=step.option("event"), record_id=ctx.run["record_id"] or "", body=body,
                status="pending", attempts=0, next_attempt_at=ctx.now, created_at=ctx.now, updated_at=ctx.now))
        else:
            delivery_id = existing.id
        results.append({"index": index, "delivery_id": delivery_id, "webhook_id": webhook_id})
    return _collect(step, results)


Async = Callable[[Step, StepContext], Awaitable[dict[str, Any]]]
InTransaction = Callable[[Step, StepContext, Connection], dict[str, Any]]
OUTSIDE: dict[str, Async] = {"push": push, "notify": notify}
INSIDE: dict[str, InTransaction] = {"record": record, "find": find, "webhook": webhook}
