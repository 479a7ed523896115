"""The in-process SQLite write gate: writers hand over without SQLite's busy sleeps, priority writers go first."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from hub.db.engine import create_db_engine, read_only
from hub.db.sqlite_gate import WriteGate


def test_priority_waiter_goes_before_ordinary_waiters() -> None:
    gate = WriteGate()
    assert gate.acquire()
    order: list[str] = []

    def wait(name: str, priority: bool) -> None:
        assert gate.acquire(priority=priority)
        order.append(name)
        gate.release()

    ordinary = threading.Thread(target=wait, args=("ordinary", False))
    ordinary.start()
    time.sleep(0.05)  # the ordinary writer queued first
    urgent = threading.Thread(target=wait, args=("urgent", True))
    urgent.start()
    time.sleep(0.05)
    gate.release()
    ordinary.join(2)
    urgent.join(2)
    assert order == ["urgent", "ordinary"]


def test_gate_times_out_instead_of_deadlocking() -> None:
    gate = WriteGate()
    assert gate.acquire()
    assert gate.acquire(timeout=0.05) is False


def test_a_second_writer_waits_for_the_first_to_commit_and_then_sees_its_row(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    first_holds = threading.Event()
    seen: list[int] = []

    def first() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            first_holds.set()
            time.sleep(0.2)

    def second() -> None:
        first_holds.wait(2)
        with engine.begin() as conn:
            seen.append(conn.execute(text("SELECT count(*) FROM t")).scalar_one())
            conn.execute(text("INSERT INTO t VALUES (2)"))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert seen == [1]
    assert time.perf_counter() - started < 1.0  # handed over, not a busy-handler back-off
    with read_only(engine) as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 2
    engine.dispose()


def test_gate_is_released_when_a_transaction_fails(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT no_such_function()"))
    except Exception:  # noqa: S110 - the failure is the point
        pass
    done = threading.Event()

    def write() -> None:
        with engine.begin() as conn:
            conn.execute(text("SELECT 1"))
        done.set()

    threading.Thread(target=write).start()
    assert done.wait(2), "a failed transaction kept the write gate"
    engine.dispose()
