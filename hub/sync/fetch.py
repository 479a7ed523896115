"""Fetching records a vendor callback named, and landing them exactly as a sync page would.

::

    callback processor (in its batch transaction) ── enqueue_fetch(conn, "wecom-main", "customer", ids)
        ─► job "fetch" {connector, entity, ids}   (ids of one connector's entity merged while it waits)
    worker ─► run_fetch: connector.fetch(stream, ids) ─► land (map, attach, upsert + events)
        ─► quarantine what failed, settle what landed: one transaction per chunk of ids
    deletions need no fetch: tombstone_external() in the processor's transaction

The stream and mapping come from hub.yaml (``connectors.<name>.entities.<entity>.mapping``)
the way a sync plans them, and the connector is built the way a sync builds it (settings
validated, secrets resolved, the shared token cache), so fetched records and synced records
are the same records: same mapping, crosswalk, events and quarantine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, select, update

from hub.db.types import utcnow
from hub.errors import ConfigError, NotFoundError
from hub.jobs.queue import JOBS, Job, enqueue
from hub.jobs.worker import Handler
from hub.mapping.registry import MappingRegistry, RegistryCache, load_registry
from hub.sdk.contract import Connector
from hub.security.secrets import SecretBox
from hub.settings import Settings
from hub.store.rules import StoreRules
from hub.sync.deletions import REFS, tombstone
from hub.sync.landing import Landing, land
from hub.sync.plan import StreamPlan, build_connector, plan_stream, secret_box
from hub.sync.quarantine import Source, quarantine, settle_landed
from hub.sync.runs import RunCounts
from hub.workspace.loader import Workspace, load_workspace

log = logging.getLogger(__name__)

FETCH_JOB = "fetch"
FETCH_ATTEMPTS = 5
MAX_IDS_PER_JOB = 500  # ids merged into one waiting job; beyond that a new job starts
FETCH_CHUNK = 100  # ids asked of the connector, and landed, per transaction
_SQL_CHUNK = 500


def fetch_key(connector: str, entity: str) -> str:
    """The dedupe key a waiting fetch job holds, so later events of the same entity join it."""
    return f"fetch:{connector}:{entity}"


def enqueue_fetch(conn: Connection, connector: str, entity: str, external_ids: Sequence[str]) -> str | None:
    """Queue fetching these vendor records of ``entity``, in ``conn``'s transaction; the job's id.

    The ids join the fetch job of the same connector and entity that is still waiting, if
    there is one (a burst of callbacks becomes one job). None when ``external_ids`` is empty.
    """
    ids = _unique(external_ids)
    if not ids:
        return None
    key = fetch_key(connector, entity)
    query = select(JOBS.c.id, JOBS.c.status, JOBS.c.payload).where(
        JOBS.c.dedupe_key == key, JOBS.c.status.in_(("queued", "running")))
    if conn.dialect.name == "postgresql":  # hold it against a worker claiming it meanwhile
        query = query.with_for_update()
    waiting = conn.execute(query).first()
    if waiting is None:
        job_id = enqueue(conn, FETCH_JOB, _payload(connector, entity, ids), dedupe_key=key,
                         max_attempts=FETCH_ATTEMPTS)
        if job_id is not None:
            return job_id
    elif waiting.status == "queued":
        merged = _unique([*waiting.payload.get("ids", []), *ids])
        if len(merged) <= MAX_IDS_PER_JOB:
            changed = conn.execute(
                update(JOBS).where(JOBS.c.id == waiting.id, JOBS.c.status == "queued")
                .values(payload=_payload(connector, entity, merged))
            ).rowcount
            if changed == 1:
                return str(waiting.id)
    # The keyed job is running (it already read its ids) or full: this one waits on its own.
    return enqueue(conn, FETCH_JOB, _payload(connector, entity, ids), max_attempts=FETCH_ATTEMPTS)


def tombstone_external(
    conn: Connection,
    workspace: Workspace,
    connector: str,
    entity: str,
    external_ids: Sequence[str],
    *,
    now: datetime,
    registry: MappingRegistry | None = None,
) -> int:
    """Mark these vendor records of ``entity`` deleted, in ``conn``'s transaction; how many were live.

    Goes through the store's one write path (versions, ``<entity>.deleted`` when no other
    system still has the record). Ids the hub never stored, or already deleted, are skipped.
    Pass the processing context's ``registry`` to avoid reading the mapping files again.
    """
    ids = _unique(external_ids)
    if not ids:
        return 0
    plan = _plan(workspace, registry, connector, entity)
    live = _live_refs(conn, plan, ids)
    if not live:
        return 0
    return tombstone(conn, plan, live, workspace.store_rules, now=now)


@dataclass(frozen=True)
class FetchRequest:
    connector: str
    entity: str
    ids: tuple[str, ...]


@dataclass
class FetchOutcome:
    connector: str
    entity: str
    stream: str
    asked: int  # ids asked for; counts.read says how many the vendor still had
    counts: RunCounts = field(default_factory=RunCounts)

    def as_json(self) -> dict[str, Any]:
        return {"connector": self.connector, "entity": self.entity, "stream": self.stream, "asked": self.asked,
                "counts": self.counts.as_dict()}


async def run_fetch(
    engine: Engine,
    workspace: Workspace,
    request: FetchRequest,
    *,
    registry: MappingRegistry | None = None,
    secrets: SecretBox | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FetchOutcome:
    """Fetch the records and land them; raises what the connector raised (RetryableError: the job retries).

    Each chunk of ids commits on its own, so a retry after a failure repeats at most
    the chunks already stored, which the store's idempotent upsert leaves unchanged.
    """
    plan = await asyncio.to_thread(_plan, workspace, registry, request.connector, request.entity)
    connector = build_connector(workspace, request.connector, engine=engine, secrets=secrets, transport=transport)
    outcome = FetchOutcome(plan.connector, plan.entity, plan.stream, len(request.ids))
    try:
        if type(connector).fetch is Connector.fetch:
            raise ConfigError(f"connector {plan.connector} (type {plan.connector_type}) cannot fetch records by id, "
                              f"so its callbacks cannot refresh {plan.entity} records; sync them instead")
        for start in range(0, len(request.ids), FETCH_CHUNK):
            records = await connector.fetch(plan.stream, list(request.ids[start:start + FETCH_CHUNK]))
            landing = await asyncio.to_thread(_commit, engine, plan, records, workspace.store_rules)
            outcome.counts.add(landing.counts)
    finally:
        await connector.aclose()
    log.info("fetch %s/%s: %d asked, %s", plan.connector, plan.entity, outcome.asked, outcome.counts.as_dict())
    return outcome


def request_of(job: Job) -> FetchRequest:
    payload = job.payload
    return FetchRequest(str(payload["connector"]), str(payload["entity"]),
                        tuple(str(i) for i in payload.get("ids", [])))


def fetch_handler(
    engine: Engine, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> Handler:
    """The worker's handler for ``fetch`` jobs: hub.yaml is read when each job starts, mappings when they change."""
    secrets = secret_box(settings.secret_key.get_secret_value() if settings.secret_key else None)
    mappings = RegistryCache()

    async def handle(job: Job) -> dict[str, Any]:
        # Give up the key first: events arriving from now on queue a new job (this one has read its ids).
        await asyncio.to_thread(_release_key, engine, job.id)
        workspace = await asyncio.to_thread(load_workspace, settings.workspace)
        registry = await asyncio.to_thread(mappings.get, workspace.root)
        outcome = await run_fetch(engine, workspace, request_of(job), registry=registry, secrets=secrets,
                                  transport=transport)
        return outcome.as_json()

    return handle


def _commit(engine: Engine, plan: StreamPlan, records: list[dict[str, Any]], rules: StoreRules) -> Landing:
    now = utcnow()
    source = Source(plan.connector, plan.stream, plan.entity, plan.system, plan.mapping.name)
    with engine.begin() as conn:
        landing = land(conn, plan, records, rules, now=now)
        if landing.landed:  # records that failed before (in a sync or a fetch) and are now stored
            settle_landed(conn, plan.connector, plan.stream, landing.landed, by=f"fetch {plan.entity}", now=now)
        if landing.quarantined:
            quarantine(conn, source, landing.quarantined, run_id=None, now=now)
    return landing


def _plan(workspace: Workspace, registry: MappingRegistry | None, connector: str, entity: str) -> StreamPlan:
    mappings = registry if registry is not None else load_registry(workspace.root, partial=True)
    try:
        return plan_stream(workspace, mappings, connector, entity)
    except NotFoundError as exc:  # the connector or entity left hub.yaml after the event was queued
        raise ConfigError(f"cannot fetch {entity} records of connector {connector}: {exc.message}") from None


def _live_refs(conn: Connection, plan: StreamPlan, ids: list[str]) -> list[str]:
    live: list[str] = []
    for start in range(0, len(ids), _SQL_CHUNK):
        query = select(REFS.c.external_id).where(
            REFS.c.external_id.in_(ids[start:start + _SQL_CHUNK]), REFS.c.system == plan.system,
            REFS.c.object == plan.object, REFS.c.entity == plan.entity, REFS.c.deleted_at.is_(None))
        live += [str(v) for v in conn.execute(query).scalars()]
    return sorted(live)


def _release_key(engine: Engine, job_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(JOBS).where(JOBS.c.id == job_id).values(dedupe_key=None))


def _payload(connector: str, entity: str, ids: list[str]) -> dict[str, Any]:
    return {"connector": connector, "entity": entity, "ids": ids}


def _unique(values: Sequence[Any]) -> list[str]:
    if isinstance(values, str | bytes):  # one id passed bare would be read as its characters
        raise TypeError("external_ids must be a list of ids, not a single string")
    return list(dict.fromkeys(str(v) for v in values if v is not None and str(v) != ""))
