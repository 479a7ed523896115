"""Waking idle workers in every process as soon as work is committed; polling stays as the fallback.

::

    transaction that queues work ──announce(conn)──► commit
        PostgreSQL: NOTIFY hub_work (delivered at commit, to every LISTENing process)
        SQLite: a datagram to each listener's socket beside the database, sent after the commit
    WakeListener (in each worker process) ──► worker.wake(), dispatcher.wake()

A lost wake-up costs at most one poll interval: workers still look for due work on a
timer (delayed retries need that anyway).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from hub.db.sqlite_gate import gated

log = logging.getLogger(__name__)

CHANNEL = "hub_work"


def announce(conn: Connection) -> None:
    """Call in the transaction that queued work: listeners wake once it commits (never before)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"NOTIFY {CHANNEL}"))  # NOTIFYs of one transaction are folded into one
        return
    dbapi = gated(conn.connection.dbapi_connection)
    if dbapi is not None and conn.engine.url.database:
        dbapi.after_commit = _waker(conn.engine.url.database).wake


@functools.cache
def _waker(database: str) -> _SqliteWaker:
    return _SqliteWaker(sqlite_wake_folder(database))


class _SqliteWaker:
    """Sends one datagram to every listener of a database; the listing is looked at again after a second."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._listeners: list[str] = []
        self._listed_at = -1.0

    def wake(self) -> None:
        with self._lock:  # commits of several threads
            now = time.monotonic()
            if now - self._listed_at > 1.0:
                try:
                    self._listeners = [str(self.folder / name) for name in os.listdir(self.folder)]
                except FileNotFoundError:  # nobody listens
                    self._listeners = []
                self._listed_at = now
            if not self._listeners:
                return
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
                sender.setblocking(False)
                for path in self._listeners:
                    try:
                        sender.sendto(b"w", path)
                    except BlockingIOError:  # its queue is full: it is awake already
                        pass
                    except (ConnectionRefusedError, FileNotFoundError):  # a listener that died
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(path)
                        self._listed_at = -1.0


def sqlite_wake_folder(database: str) -> Path:
    """A short folder per database file (socket paths are limited to about 100 bytes)."""
    digest = hashlib.sha1(os.path.realpath(database).encode(), usedforsecurity=False).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"hub-wake-{os.getuid()}-{digest}"


class WakeListener:
    """Calls ``callbacks`` whenever another transaction (in any process) announced new work."""

    def __init__(self, engine: Engine, callbacks: Sequence[Callable[[], None]]) -> None:
        self.engine = engine
        self.callbacks = list(callbacks)
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None
        self._path: Path | None = None

    async def start(self) -> None:
        if self.engine.dialect.name == "postgresql":
            self._task = asyncio.create_task(self._listen_postgresql(), name="hub wake listener")
        elif self.engine.url.database and self.engine.url.database != ":memory:":
            self._listen_sqlite(self.engine.url.database)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._socket is not None:
            asyncio.get_running_loop().remove_reader(self._socket.fileno())
            self._socket.close()
            self._socket = None
        if self._path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._path)
            self._path = None

    def _wake(self) -> None:
        for callback in self.callbacks:
            callback()

    def _listen_sqlite(self, database: str) -> None:
        folder = sqlite_wake_folder(database)
        folder.mkdir(mode=0o700, exist_ok=True)
        self._path = folder / f"{os.getpid()}-{id(self):x}"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.setblocking(False)
        listener.bind(str(self._path))
        self._socket = listener

        def readable() -> None:
            with contextlib.suppress(BlockingIOError):
                while listener.recv(64):
                    pass
            self._wake()

        asyncio.get_running_loop().add_reader(listener.fileno(), readable)

    async def _listen_postgresql(self) -> None:
        import psycopg  # the PostgreSQL driver the engine already uses

        conninfo = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        delay = 1.0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    delay = 1.0
                    self._wake()  # work announced while we were not listening
                    async for _ in conn.notifies():
                        self._wake()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database restarted: polling covers the gap, reconnect with backoff
                log.warning("LISTEN %s lost (%s); reconnecting in %.0f s", CHANNEL, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
