"""Group commit: concurrent requests' messages stored in one transaction, each request answered after it commits.

::

    request ─► submit(message) ─┐        ┌─► future resolved ─► 202 {"id"} (or 200 for a duplicate)
    request ─► submit(message) ─┼─ queue ┤
    request ─► submit(message) ─┘        └── writer task: accept_many(batch) in one transaction (a thread)

While one batch commits, the next one gathers, so under load a commit carries many
messages and the cost of a transaction (and on SQLite, of taking the write lock) is
shared; a lone request is committed at once, without waiting for company. If a batch
fails, its messages are tried one at a time, so one bad message only fails itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy import Engine

from webhooks.inbound.messages import Accepted, NewMessage, accept_many

log = logging.getLogger(__name__)

MAX_BATCH = 500


class GroupCommitWriter:
    """Stores messages for the requests of one event loop; :meth:`start` it, then :meth:`submit`."""

    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH,
                 on_commit: Callable[[], None] | None = None) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.on_commit = on_commit
        self._queue: list[tuple[NewMessage, asyncio.Future[Accepted]]] = []
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbound group commit")

    async def close(self) -> None:
        """Store what is queued, then stop."""
        self._closing = True
        self._ready.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def submit(self, message: NewMessage) -> Accepted:
        """Store ``message``; returns once it is committed (raises what the database raised)."""
        if self._task is None or self._closing:
            raise RuntimeError("the inbound writer is not running")
        future: asyncio.Future[Accepted] = asyncio.get_running_loop().create_future()
        self._queue.append((message, future))
        self._ready.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._queue:
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                await self._commit(batch)
            if self._closing:
                return

    async def _commit(self, batch: list[tuple[NewMessage, asyncio.Future[Accepted]]]) -> None:
        messages = [message for message, _ in batch]
        try:
            results = await asyncio.to_thread(self._store, messages)
        except Exception as exc:
            if len(batch) > 1:
                log.warning("storing %d inbound messages together failed (%s); storing them one by one",
                            len(batch), type(exc).__name__)
                for item in batch:
                    await self._commit([item])
                return
            _settle(batch[0][1], exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result)
        if self.on_commit is not None:
            with contextlib.suppress(Exception):
                self.on_commit()

    def _store(self, messages: list[NewMessage]) -> list[Accepted]:
        # Priority over the worker's and dispatcher's writes in this process: a request is waiting.
        with self.engine.connect().execution_options(sqlite_priority=True) as conn, conn.begin():
            return accept_many(conn, messages)


def _settle(future: asyncio.Future[Accepted], outcome: Accepted | BaseException) -> None:
    if future.done():  # the request was cancelled (client went away): the message is stored all the same
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
