"""The worker: claims jobs, runs their handlers concurrently, keeps their leases, records outcomes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from hub.errors import FatalError, RateLimitedError, RecordError, RetryableError
from hub.ids import new_id
from hub.jobs.queue import Job, claim, complete, extend_lease, fail

log = logging.getLogger(__name__)

Handler = Callable[[Job], Awaitable[dict[str, Any] | None]]


class Worker:
    """Runs jobs of the kinds it has handlers for, ``concurrency`` at a time.

    A handler returns a result dict (stored on the job) or raises: a RetryableError
    re-queues the job with backoff (honouring ``retry_after``) while attempts remain;
    anything else fails it with the message. Leases are renewed while a handler runs,
    so only a dead worker's jobs are ever taken over.
    """

    def __init__(
        self,
        engine: Engine,
        handlers: Mapping[str, Handler],
        *,
        concurrency: int = 4,
        lease: timedelta = timedelta(minutes=2),
        poll_interval: float = 1.0,
        name: str | None = None,
    ) -> None:
        self.engine = engine
        self.handlers = dict(handlers)
        self.concurrency = concurrency
        self.lease = lease
        self.poll_interval = poll_interval
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{new_id('w')[-6:]}"
        self._running: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for work now instead of at the next poll (after enqueueing in this process)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Claim and run jobs until :meth:`stop`; then wait for the running ones to finish."""
        log.info("worker %s started (kinds: %s, concurrency %d)", self.name, ", ".join(self.handlers),
                 self.concurrency)
        while not self._stopping.is_set():
            claimed = await self.run_once()
            if not claimed:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        log.info("worker %s stopped", self.name)

    async def run_once(self) -> int:
        """Claim as many jobs as there are free slots and start them; return how many."""
        free = self.concurrency - len(self._running)
        if free <= 0:
            await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)
            return 1
        jobs = await asyncio.to_thread(self._claim, free)
        for job in jobs:
            task = asyncio.create_task(self._execute(job), name=f"job {job.id}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return len(jobs)

    async def drain(self) -> None:
        """Run until no job is due (tests and one-shot commands)."""
        while await self.run_once() or self._running:
            if self._running:
                await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)

    def _claim(self, limit: int) -> list[Job]:
        with self.engine.begin() as conn:
            return claim(conn, self.name, tuple(self.handlers), limit=limit, lease=self.lease)

    async def _execute(self, job: Job) -> None:
        keeper = asyncio.create_task(self._keep_lease(job))
        try:
            result = await self.handlers[job.kind](job)
        except RetryableError as exc:
            delay = exc.retry_after if isinstance(exc, RateLimitedError) and exc.retry_after else _backoff(job.attempts)
            await asyncio.to_thread(self._fail, job, f"{exc.code}: {exc.message}", timedelta(seconds=delay))
        except (FatalError, RecordError) as exc:
            await asyncio.to_thread(self._fail, job, f"{exc.code}: {exc.message}", None)
        except Exception as exc:  # a bug: keep the worker alive, keep the evidence on the job
            log.exception("job %s (%s) crashed", job.id, job.kind)
            await asyncio.to_thread(self._fail, job, f"{type(exc).__name__}: {exc}", None)
        else:
            await asyncio.to_thread(self._complete, job, result)
        finally:
            keeper.cancel()

    def _complete(self, job: Job, result: dict[str, Any] | None) -> None:
        with self.engine.begin() as conn:
            complete(conn, job.id, self.name, result)

    def _fail(self, job: Job, error: str, retry_in: timedelta | None) -> None:
        with self.engine.begin() as conn:
            status = fail(conn, job.id, self.name, error, retry_in=retry_in)
        log.warning("job %s (%s) attempt %d: %s -> %s", job.id, job.kind, job.attempts, error, status)

    async def _keep_lease(self, job: Job) -> None:
        interval = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            await asyncio.to_thread(self._extend, job)

    def _extend(self, job: Job) -> None:
        with self.engine.begin() as conn:
            extend_lease(conn, job.id, self.name, self.lease)


def _backoff(attempt: int) -> float:
    """Exponential with full jitter: about 2, 4, 8 ... seconds, at most 5 minutes."""
    ceiling: float = min(300.0, 2.0 ** max(1, attempt))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security
