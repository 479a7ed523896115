"""One writer at a time per SQLite database within this process, queued in Python rather than in SQLite.

SQLite lets one transaction write at a time; a second one that finds the database
locked sleeps in SQLite's busy handler (1, 2, 5, 10 ... 100 ms) however soon the lock
is free again. When the request path's group commit and a worker's processing run in
the same process (``hub serve``), that sleep lands on the webhooks' latency. Taking
this lock first makes the two wait for each other without sleeping past the release.
PostgreSQL needs no gate (its writers do not exclude each other).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from sqlalchemy import Engine

_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


@contextlib.contextmanager
def write_gate(engine: Engine) -> Iterator[None]:
    if engine.dialect.name != "sqlite":
        yield
        return
    key = str(engine.url)
    with _guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        yield
