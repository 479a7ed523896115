"""Processing stored messages, later and apart from receiving them: one processor per channel.

::

    inbound_messages (pending) ──job "inbound" {ids}──► process_messages
        one transaction per batch: lock the pending messages ─► the channel's processor
        (webhook: mapping ─► upsert_records ─► events) ─► processed | quarantined ─► commit

A processor runs inside the batch's transaction and returns one :class:`Outcome` per
message; it does not commit. A :class:`~hub.errors.RetryableError` (or a database
outage) leaves the whole batch pending for the job's retry. Any other exception
rolls the batch back and the messages are processed one by one, so only the one
that fails is quarantined, with the error.

Channels: ``webhook`` (inbound webhooks, :mod:`webhooks.inbound.webhook`) is built in;
the vendors' callbacks add a line to ``PROCESSORS`` (``"wecom": "module:function"``,
imported when first needed) or call :func:`register_processor`.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, bindparam, func, select, update
from sqlalchemy.exc import DBAPIError

from hub.errors import ConfigError, ConflictError, HubError, NotFoundError, RetryableError
from webhooks.inbound.context import Contexts, ProcessingContext
from webhooks.inbound.messages import MESSAGES
from webhooks.inbound.tables import PENDING, PROCESSED, QUARANTINED, REJECTED

log = logging.getLogger(__name__)

BATCH = 50  # messages per processing transaction, at most
SQLITE_HOLD = 0.008  # seconds: on SQLite a transaction holds the one write lock, and receiving waits for it


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: str
    channel: str
    source: str
    body: bytes
    headers: dict[str, Any]
    dedupe_key: str | None
    received_at: datetime
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """What became of one message: processed (with the records it wrote) or quarantined (with why)."""

    id: str
    status: str
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == PROCESSED

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "result": self.result, "error": self.error}


def processed(message_id: str, result: dict[str, Any] | None = None) -> Outcome:
    return Outcome(message_id, PROCESSED, result=result)


def quarantined(message_id: str, kind: str, message: str, **details: Any) -> Outcome:
    return Outcome(message_id, QUARANTINED, error={"kind": kind, "message": message, **details})


class Processor(Protocol):
    def __call__(
        self, conn: Connection, messages: Sequence[StoredMessage], context: ProcessingContext
    ) -> list[Outcome]:
        """One outcome per message, in ``conn``'s transaction (never commits)."""
        ...


PROCESSORS: dict[str, str] = {
    "webhook": "webhooks.inbound.webhook:process_webhooks",
    "wecom": "connectors.wecom.callbacks:process_callbacks",
    "dingtalk": "connectors.dingtalk.callbacks:process_callbacks",
}
"""Channel -> ``module:function`` of its processor, imported on first use."""


@dataclass
class ProcessorRegistry:
    """Processors by channel: the ``PROCESSORS`` table plus any registered at run time."""

    paths: dict[str, str] = field(default_factory=lambda: dict(PROCESSORS))
    loaded: dict[str, Processor] = field(default_factory=dict)

    def register(self, channel: str, processor: Processor) -> None:
        self.loaded[channel] = processor

    def get(self, channel: str) -> Processor:
        found = self.loaded.get(channel)
        if found is not None:
            return found
        path = self.paths.get(channel)
        if path is None:
            raise ConfigError(f"no processor for inbound channel {channel!r}; known: {', '.join(self.channels())}")
        module, _, name = path.partition(":")
        processor: Processor = getattr(importlib.import_module(module), name)
        self.loaded[channel] = processor
        return processor

    def channels(self) -> list[str]:
        return sorted({*self.paths, *self.loaded})


default_registry = ProcessorRegistry()


def register_processor(channel: str, processor: Processor) -> None:
    """Process messages of ``channel`` with ``processor`` (in every worker of this process)."""
    default_registry.register(channel, processor)


def process_messages(
    engine: Engine, ids: Sequence[str], contexts: Contexts, *, registry: ProcessorRegistry | None = None,
) -> list[Outcome]:
    """Process the given messages that are still pending; the others (already done, or taken) are skipped.

    At most ``BATCH`` messages per transaction, so a big job never holds the database for long;
    on SQLite, as many as fit in about ``SQLITE_HOLD`` (measured on the previous batch),
    so the requests' group commit never waits long for the write lock.
    """
    wanted = list(ids)
    outcomes: list[Outcome] = []
    sqlite = engine.dialect.name == "sqlite"
    start = 0
    while start < len(wanted):
        batch = wanted[start:start + (_pacer.size if sqlite else BATCH)]
        outcomes += _run(engine, batch, contexts, registry or default_registry, replay=False)
        start += len(batch)
    if len(outcomes) < len(wanted):
        _retry_if_taken(engine, set(wanted) - {o.id for o in outcomes})
    return outcomes


def _retry_if_taken(engine: Engine, skipped: set[str]) -> None:
    """Fail the job for a retry when a skipped message is still pending.

    It was locked by another transaction (a replay, or a dead worker's transaction not yet
    rolled back): that holder may never finish it, so this job must not count it as done.
    """
    with engine.connect() as conn:
        taken = list(conn.execute(
            select(MESSAGES.c.id).where(MESSAGES.c.id.in_(sorted(skipped)), MESSAGES.c.status == PENDING)).scalars())
    if taken:
        raise RetryableError(f"{len(taken)} inbound message(s) were locked by another transaction "
                             f"({', '.join(taken[:3])}); trying them again later", details={"ids": taken})


class _Pacer:
    """Sizes SQLite processing batches to hold the write lock about ``SQLITE_HOLD`` seconds."""

    def __init__(self) -> None:
        self.size = 10

    def measured(self, count: int, seconds: float) -> int:
        """Size the next batch from how long this one held the write lock."""
        per_message = max(seconds / max(count, 1), 1e-5)
        wanted = int(SQLITE_HOLD / per_message)
        self.size = max(1, min(BATCH, wanted, self.size * 2))  # grow gently, shrink at once
        return self.size


_pacer = _Pacer()


def replay_messages(
    engine: Engine, ids: Sequence[str], contexts: Contexts, *, registry: ProcessorRegistry | None = None,
) -> list[Outcome]:
    """Process the given messages again now, whatever their status (after a mapping fix); NotFoundError."""
    with engine.connect() as conn:
        rows = conn.execute(select(MESSAGES.c.id, MESSAGES.c.status, func.length(MESSAGES.c.body).label("size"))
                            .where(MESSAGES.c.id.in_(list(ids)))).all()
        known: dict[str, str] = {r.id: r.status for r in rows}
        emptied = [r.id for r in rows if r.status == PROCESSED and not r.size]
    missing = [i for i in ids if i not in known]
    if missing:
        raise NotFoundError(f"no inbound message {', '.join(missing)}", details={"ids": missing})
    refused = [i for i in ids if known[i] == REJECTED]
    if refused:  # its body never passed verification: processing it would trust whoever sent it
        raise ConflictError(f"inbound message {', '.join(refused)} was rejected at the door (it failed "
                            "verification) and cannot be processed; have the sender send it again",
                            details={"ids": refused})
    if emptied:  # retention cleared the body: nothing is left to process
        raise ConflictError(f"inbound message {', '.join(emptied)} was processed and its body removed by retention; "
                            "it cannot be processed again", details={"ids": emptied})
    outcomes: list[Outcome] = []
    for message_id in dict.fromkeys(ids):  # one transaction each: a replay reports every message's fate
        outcomes += _run(engine, [message_id], contexts, registry or default_registry, replay=True)
    return outcomes


def _run(engine: Engine, ids: list[str], contexts: Contexts, registry: ProcessorRegistry, *, replay: bool
         ) -> list[Outcome]:
    try:
        context = contexts.get()
        with engine.begin() as conn:
            held_from = time.perf_counter()  # the write lock is ours from here (waiting for it is not counted)
            outcomes = _process(conn, ids, context, registry, replay=replay)
        if engine.dialect.name == "sqlite" and not replay:
            _pacer.measured(len(ids), time.perf_counter() - held_from)
        return outcomes
    except RetryableError:
        raise
    except DBAPIError as exc:  # the database is busy or away: the job retries the batch later
        raise RetryableError(f"database error while processing inbound messages: {type(exc.orig).__name__}") \
            from exc
    except Exception as exc:
        if len(ids) > 1:  # find the message that fails: the others go through
            return [o for message_id in ids for o in _run(engine, [message_id], contexts, registry, replay=replay)]
        log.exception("processing inbound message %s failed", ids[0])
        reason = exc.message if isinstance(exc, HubError) else f"{type(exc).__name__}: {exc}"
        outcome = quarantined(ids[0], "error", f"processing failed: {reason}")
        with engine.begin() as conn:
            _record(conn, [outcome], contexts.get().now)
        return [outcome]


def _process(conn: Connection, ids: list[str], context: ProcessingContext, registry: ProcessorRegistry, *,
             replay: bool) -> list[Outcome]:
    query = select(MESSAGES).where(MESSAGES.c.id.in_(ids)).order_by(MESSAGES.c.id)
    query = query.where(MESSAGES.c.status != REJECTED) if replay else query.where(MESSAGES.c.status == PENDING)
    if conn.dialect.name == "postgresql":  # SQLite's BEGIN IMMEDIATE already serialises
        query = query.with_for_update(skip_locked=not replay)
    messages = [
        StoredMessage(r["id"], r["channel"], r["source"], bytes(r["body"]), r["headers"], r["dedupe_key"],
                      r["received_at"], r["attempts"])
        for r in conn.execute(query).mappings()
    ]
    by_channel: dict[str, list[StoredMessage]] = {}
    for message in messages:
        by_channel.setdefault(message.channel, []).append(message)
    outcomes: list[Outcome] = []
    for channel, batch in by_channel.items():
        try:
            processor = registry.get(channel)
        except ConfigError as exc:
            outcomes += [quarantined(m.id, "config", exc.message) for m in batch]
            continue
        found = processor(conn, batch, context)
        if sorted(o.id for o in found) != sorted(m.id for m in batch):
            raise RuntimeError(f"the {channel} processor did not return one outcome per message")
        outcomes += found
    _record(conn, outcomes, context.now)
    return outcomes


def _record(conn: Connection, outcomes: Sequence[Outcome], now: datetime) -> None:
    if not outcomes:
        return
    conn.execute(
        update(MESSAGES)
        .where(MESSAGES.c.id == bindparam("_id"))
        .values(status=bindparam("_status"), result=bindparam("_result"), error=bindparam("_error"),
                processed_at=bindparam("_at"), attempts=MESSAGES.c.attempts + 1),
        [{"_id": o.id, "_status": o.status, "_result": o.result, "_error": o.error, "_at": now} for o in outcomes],
    )
