"""The delivery worker: claims due deliveries, sends them concurrently, records every attempt in batches.

::

    ┌─► one transaction: record the results so far, then claim for the free slots ─┐
    │                                                                              ▼
    └──── results (a few ms of completions) ◄──── a task per delivery: sign, POST ◄┘

One transaction per cycle carries both the outcomes of finished attempts and the next
claims, so the database sees a commit per batch, not per delivery. A delivery counts
as done only once its cycle is committed; a worker killed before that leaves a lease
that expires, and another worker sends it again (same webhook-id, so receivers drop
the duplicate). Several dispatchers (``hub worker`` processes) share one PostgreSQL;
per-subscription concurrency holds across all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, func, select

from hub.db.engine import read_only
from hub.db.types import utcnow
from hub.errors import HubError
from hub.ids import new_id
from hub.security.secrets import SecretBox
from hub.security.ssrf import Network
from hub.settings import Settings
from hub.workspace.config import WorkspaceConfig
from webhooks.outbound.config_sync import sync_subscriptions_safely
from webhooks.outbound.policy import DeliveryPolicy, Verdict, verdict
from webhooks.outbound.queue import AttemptResult, Claim, Slots, claim_deliveries, record_results
from webhooks.outbound.sending import Sender
from webhooks.outbound.subscriptions import Endpoint, check_destination, endpoint
from webhooks.outbound.tables import DELIVERIES, SUBSCRIPTIONS
from webhooks.outbound.transports import Http

log = logging.getLogger(__name__)


class Dispatcher:
    """Delivers outbound webhooks until :meth:`stop`; ``await drain()`` delivers what is due and returns.

    ``max_in_flight`` bounds this worker's requests across all subscriptions; each
    subscription is further bounded by its ``concurrency`` (default ``policy.concurrency``).
    While requests are in flight, a cycle waits ``batch_interval`` for more of them to
    finish before recording (the latency a result waits to be committed, traded for
    fewer commits). With ``config``, hub.yaml's subscriptions are synced when ``run`` starts.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        box: SecretBox | None,
        policy: DeliveryPolicy | None = None,
        allowed: Iterable[Network] = (),
        transport: httpx.AsyncBaseTransport | None = None,
        http: Http = "auto",
        config: WorkspaceConfig | None = None,
        name: str | None = None,
        max_in_flight: int = 256,
        poll_interval: float = 0.5,
        batch_interval: float = 0.005,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.box = box
        self.policy = policy or DeliveryPolicy()
        self.allowed = tuple(allowed)
        self.config = config
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{new_id('d')[-6:]}"
        self.max_in_flight = max_in_flight
        self.poll_interval = poll_interval
        self.batch_interval = batch_interval
        self.clock = clock
        self.sender = Sender(allowed=self.allowed, timeout=self.policy.timeout, transport=transport,
                             max_connections=max_in_flight, http=http)
        self._endpoints: dict[str, Endpoint] = {}
        self._broken: dict[str, datetime] = {}  # subscription -> version whose secrets did not decrypt
        self._turn = 0
        self._gone: set[str] = set()  # answered 410: send nothing more until the disable is recorded
        self._active: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._results: list[AttemptResult] = []
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._started = False
        self._closed = False

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings, **options: Any) -> Dispatcher:
        """A dispatcher configured from ``HUB_*`` settings and the workspace's hub.yaml (read now)."""
        from hub.workspace.loader import load_workspace

        config = load_workspace(settings.workspace).config
        key = settings.secret_key
        return cls(
            engine,
            box=SecretBox(key.get_secret_value()) if key else None,
            policy=DeliveryPolicy.from_config(config.webhooks),
            allowed=settings.allowed_networks,
            config=config,
            **options,
        )

    def wake(self) -> None:
        """Look for due deliveries now (e.g. right after events were committed in this process)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Deliver until :meth:`stop`; then let requests in flight finish and record them."""
        await self._start()
        log.info("delivery worker %s started (at most %d requests in flight)", self.name, self.max_in_flight)
        try:
            while not self._stopping.is_set():
                progressed = await self.run_once()
                if not (progressed or self._tasks or self._results):
                    await self._idle(self.poll_interval)
        finally:
            await self.aclose()
        log.info("delivery worker %s stopped", self.name)

    async def drain(self, *, max_wait: float = 0.0) -> None:
        """Deliver until nothing is due; with ``max_wait``, also wait for retries due within that many seconds."""
        await self._start()
        while True:
            progressed = await self.run_once()
            if progressed or self._tasks or self._results:
                continue
            wait = await asyncio.to_thread(self._seconds_until_due)
            if wait is None or wait > max_wait:
                return
            await asyncio.sleep(max(wait, 0.0) + 0.005)

    async def run_once(self) -> int:
        """One cycle: wait a moment for attempts in flight, then record their results and claim for the free
        slots in one transaction, and start sending. Returns how many results and claims it handled.
        """
        if self._tasks:
            if not self._results:
                await self._idle(self.poll_interval)  # until a request finishes (or new work is announced)
            if self._tasks:  # let the others finish too (a moment at most): one commit for all of them
                await asyncio.wait(self._tasks, timeout=self.batch_interval)
        batch, self._results = self._results, []
        free = self.max_in_flight - len(self._tasks)
        try:
            claims = await asyncio.to_thread(self._cycle, batch, free)
        except Exception:
            # Not recorded: the leases expire and those deliveries are sent again (at-least-once).
            log.exception("recording %d delivery attempts failed", len(batch))
            return 0
        for claim in claims:
            self._active[claim.subscription_id] += 1
            task = asyncio.create_task(self._attempt(claim), name=f"delivery {claim.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(batch) + len(claims)

    async def aclose(self) -> None:
        """Let requests in flight finish, record them, close the HTTP client."""
        if self._closed:
            return
        self._closed = True
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._results:
            batch, self._results = self._results, []
            await asyncio.to_thread(self._cycle, batch, 0)
        await self.sender.aclose()

    async def __aenter__(self) -> Dispatcher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _idle(self, timeout: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=timeout)

    async def _start(self) -> None:
        if self._started:
            return
        self._started = True
        if self.config is not None:
            try:
                await asyncio.to_thread(self._sync_config, self.config)
            except HubError as exc:
                log.error("hub.yaml subscriptions not synced: %s", exc.message)

    def _sync_config(self, config: WorkspaceConfig) -> None:
        def check(url: str) -> None:
            check_destination(url, self.allowed)

        report = sync_subscriptions_safely(self.engine.begin, self.box, config, now=self.clock(), check=check)
        for name in report.created:
            log.info("subscription %s created from hub.yaml; `hub subscriptions rotate %s` shows a secret", name, name)
        for name, problem in report.problems.items():
            log.error("subscription %s: %s", name, problem)

    # -- the database side (in a thread) ---------------------------------------------------------------

    def _cycle(self, batch: list[AttemptResult], free: int) -> list[Claim]:
        with self.engine.begin() as conn:
            if batch:
                outcome = record_results(conn, self.name, batch, policy=self.policy, now=self.clock())
                for subscription_id in outcome.disabled or ():
                    ep = self._endpoints.get(subscription_id)
                    log.warning("subscription %s disabled by the hub", ep.name if ep else subscription_id)
            if free <= 0 or self._stopping.is_set():
                return []
            endpoints = list(self._refresh_endpoints(conn).values())
            self._turn = (self._turn + 1) % max(len(endpoints), 1)  # who goes first rotates: no starvation
            slots: dict[str, Slots] = {}
            for ep in endpoints[self._turn:] + endpoints[:self._turn]:
                room = (ep.concurrency or self.policy.concurrency) - self._active[ep.id]
                if room > 0 and ep.id not in self._gone:
                    slots[ep.id] = Slots(min(room, free), ep.ordered)
            return claim_deliveries(conn, self.name, slots, now=self.clock(), lease=self.policy.lease, limit=free)

    def _refresh_endpoints(self, conn: Connection) -> dict[str, Endpoint]:
        rows = conn.execute(select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.enabled.is_(True))).mappings().all()
        current: dict[str, Endpoint] = {}
        for row in rows:
            known = self._endpoints.get(row["id"])
            if known is not None and known.version == row["updated_at"]:
                current[row["id"]] = known
                continue
            if self._broken.get(row["id"]) == row["updated_at"]:
                continue
            try:
                current[row["id"]] = endpoint(dict(row), self.box)
            except HubError as exc:
                self._broken[row["id"]] = row["updated_at"]
                log.error("subscription %s cannot be delivered: %s", row["name"], exc.message)
        self._endpoints = current
        self._gone &= set(current)  # disabled by now (or enabled again by an admin: then a fresh start)
        return current

    def _seconds_until_due(self) -> float | None:
        """When the next delivery this worker can send is due (None: none is waiting)."""
        servable = sorted(set(self._endpoints) - self._gone)
        if not servable:
            return None
        with read_only(self.engine) as conn:
            soonest = conn.execute(
                select(func.min(DELIVERIES.c.next_attempt_at))
                .where(DELIVERIES.c.status == "pending", DELIVERIES.c.subscription_id.in_(servable))
            ).scalar()
        if soonest is None:
            return None
        return float((soonest - self.clock()).total_seconds())

    # -- sending -------------------------------------------------------------------------------------

    async def _attempt(self, claim: Claim) -> None:
        try:
            ep = self._endpoints.get(claim.subscription_id)
            if ep is None:  # disabled between claim and send: give the slot back, try again later
                result = AttemptResult(claim, self.clock(), 0, None, error="not sent: the subscription changed")
            else:
                result = await self.sender.send(ep, claim, worker=self.name)
                if verdict(result.status_code) is Verdict.GONE:
                    self._gone.add(claim.subscription_id)
        except Exception as exc:  # a bug: keep the worker alive, keep the evidence on the delivery
            log.exception("delivery %s crashed", claim.id)
            result = AttemptResult(claim, self.clock(), 0, None, error=f"{type(exc).__name__}: {exc}")
        finally:
            self._active[claim.subscription_id] -= 1
        self._results.append(result)
        self._wake.set()
