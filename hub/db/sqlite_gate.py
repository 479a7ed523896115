"""One writer at a time per SQLite database within a process, queued in Python rather than in SQLite.

SQLite lets one transaction write at a time; a second ``BEGIN IMMEDIATE`` that finds
the database locked sleeps in SQLite's busy handler (1, 2, 5, 10 ... 100 ms) however
soon the lock is free again. When the request path (inbound webhooks' group commit),
the worker, the dispatcher and the scheduler share one process (``hub serve``), that
sleep lands on the webhooks' latency: p99 went from 11 ms to 96-227 ms at 1,000
requests/s. Taking this gate before ``BEGIN IMMEDIATE`` makes the writers of a process
hand the lock over without sleeping, and lets latency-sensitive writers
(``execution_options(sqlite_priority=True)``) go before the queued batch work.

Across processes (``hub serve`` with ``hub worker`` processes on one SQLite file), the
same hand-over goes through ``flock`` on a file beside the database (``hub.db-gate``):
the kernel wakes the next waiter as soon as the lock is released. A second lock there
(the *intent*) lets a priority writer stop other processes' ordinary writers from
starting new transactions while it waits. Programs that do not use the hub's engine
(the sqlite3 shell) still meet SQLite's busy handler, as before.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

WAIT = 35.0  # seconds; past SQLite's own busy timeout (30 s), then fall back to it rather than deadlock


class WriteGate:
    """A lock with two queues: waiting priority writers go before waiting ordinary ones.

    With ``lock_file``, the holder also holds an exclusive ``flock`` on it, so writers
    of other processes hand over the same way.
    """

    def __init__(self, lock_file: Path | None = None) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._held = False
        self._priority_waiting = 0
        self._lock_file = lock_file
        self._files: tuple[int, int] | None = None  # (main, intent) descriptors, opened on first use
        self._pid = os.getpid()

    def acquire(self, *, priority: bool = False, timeout: float = WAIT) -> bool:
        with self._cond:
            if priority:
                self._priority_waiting += 1
            try:
                granted = self._cond.wait_for(
                    lambda: not self._held and (priority or self._priority_waiting == 0), timeout=timeout
                )
            finally:
                if priority:
                    self._priority_waiting -= 1
            if granted:
                self._held = True
            else:  # e.g. a thread that opened a second write transaction while holding one
                log.warning("waited %.0f s for this process's SQLite write gate; going on without it", timeout)
        if granted:
            try:
                self._lock_across_processes(priority)
            except OSError as exc:  # an unwritable folder: SQLite's busy handler still keeps writes apart
                log.warning("cannot lock %s (%s); other processes' writers are kept apart by SQLite alone",
                            self._lock_file, exc)
        return granted

    def release(self) -> None:
        if self._files is not None and self._pid == os.getpid():
            fcntl.flock(self._files[0], fcntl.LOCK_UN)
        with self._cond:
            self._held = False
            self._cond.notify_all()

    def _lock_across_processes(self, priority: bool) -> None:
        if self._lock_file is None:
            return
        if self._files is None or self._pid != os.getpid():  # a forked child needs its own descriptions
            self._pid = os.getpid()
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            self._files = (os.open(self._lock_file, flags, 0o600),
                           os.open(self._lock_file.with_name(self._lock_file.name + "-intent"), flags, 0o600))
        main, intent = self._files
        fcntl.flock(intent, fcntl.LOCK_EX)  # priority: hold it while waiting, so no ordinary writer starts
        try:
            if priority:
                fcntl.flock(main, fcntl.LOCK_EX)
        finally:
            fcntl.flock(intent, fcntl.LOCK_UN)
        if not priority:
            fcntl.flock(main, fcntl.LOCK_EX)


class GatedConnection(sqlite3.Connection):
    """A sqlite3 connection that gives the gate back when its transaction ends, however it ends."""

    gate: WriteGate | None = None
    holds_gate = False
    after_commit: Callable[[], None] | None = None  # set during a transaction: run once it committed

    def take_gate(self, *, priority: bool) -> None:
        if self.gate is not None and not self.holds_gate:
            self.holds_gate = self.gate.acquire(priority=priority)

    def give_gate(self) -> None:
        if self.holds_gate and self.gate is not None:
            self.holds_gate = False
            self.gate.release()

    def commit(self) -> None:
        hook, self.after_commit = self.after_commit, None
        try:
            super().commit()
        finally:
            self.give_gate()
        if hook is not None:
            try:
                hook()
            except Exception:  # a hook (waking other processes) must not fail a committed transaction
                log.exception("after-commit hook failed")

    def rollback(self) -> None:
        self.after_commit = None
        try:
            super().rollback()
        finally:
            self.give_gate()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.give_gate()


def gated(dbapi_connection: Any) -> GatedConnection | None:
    return dbapi_connection if isinstance(dbapi_connection, GatedConnection) else None
