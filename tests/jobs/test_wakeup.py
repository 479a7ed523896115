"""Idle workers wake as soon as another process commits new work: NOTIFY on PostgreSQL, a socket on SQLite."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from hub.db.engine import create_db_engine
from hub.jobs.queue import enqueue
from hub.jobs.wakeup import WakeListener


async def _woken_by_enqueue(listening: Engine, writing: Engine, *, commit: bool) -> bool:
    woke = asyncio.Event()
    listener = WakeListener(listening, [woke.set])
    await listener.start()
    try:
        await asyncio.sleep(0.2)  # PostgreSQL: LISTEN is in place (its first wake is for work missed meanwhile)
        woke.clear()

        def queue() -> None:
            with writing.connect() as conn:
                enqueue(conn, "sync", {"n": 1})
                if commit:
                    conn.commit()
                else:
                    conn.rollback()

        await asyncio.to_thread(queue)
        try:
            await asyncio.wait_for(woke.wait(), timeout=2.0 if commit else 0.5)
        except TimeoutError:
            return False
        return True
    finally:
        await listener.stop()


def test_sqlite_listener_wakes_when_another_engine_commits_work(db_engine: Engine) -> None:
    other = create_db_engine(str(db_engine.url))  # a second engine: as another process would have
    try:
        assert asyncio.run(_woken_by_enqueue(db_engine, other, commit=True))
    finally:
        other.dispose()


def test_sqlite_listener_is_not_woken_by_a_rolled_back_enqueue(db_engine: Engine) -> None:
    other = create_db_engine(str(db_engine.url))
    try:
        assert not asyncio.run(_woken_by_enqueue(db_engine, other, commit=False))
    finally:
        other.dispose()


def test_postgresql_listener_wakes_on_notify_at_commit(pg_engine: Engine) -> None:
    assert asyncio.run(_woken_by_enqueue(pg_engine, pg_engine, commit=True))


def test_postgresql_listener_is_not_woken_by_a_rolled_back_enqueue(pg_engine: Engine) -> None:
    assert not asyncio.run(_woken_by_enqueue(pg_engine, pg_engine, commit=False))
