"""The job queue: deduplicated enqueue, leased claims, retries, takeover after a worker dies."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine, update

from hub.db.types import utcnow
from hub.jobs import claim, complete, enqueue, fail, get_job
from hub.jobs.queue import JOBS


def _enqueue(engine: Engine, **kwargs: object) -> str | None:
    with engine.begin() as conn:
        return enqueue(conn, "sync", {"connector": "kd"}, **kwargs)  # type: ignore[arg-type]


def _claim(engine: Engine, worker: str, limit: int = 10, lease: timedelta = timedelta(minutes=2)) -> list[str]:
    with engine.begin() as conn:
        return [job.id for job in claim(conn, worker, ("sync",), limit=limit, lease=lease)]


def test_a_second_job_with_the_same_key_is_not_queued_while_one_is_active(engine: Engine) -> None:
    first = _enqueue(engine, dedupe_key="sync:kd:order")
    duplicate = _enqueue(engine, dedupe_key="sync:kd:order")
    _claim(engine, "w1")
    while_running = _enqueue(engine, dedupe_key="sync:kd:order")
    with engine.begin() as conn:
        complete(conn, first or "", "w1")
    after_done = _enqueue(engine, dedupe_key="sync:kd:order")

    assert first is not None
    assert duplicate is None
    assert while_running is None
    assert after_done is not None


def test_only_due_jobs_are_claimed_and_each_only_once(engine: Engine) -> None:
    now_job = _enqueue(engine)
    _enqueue(engine, run_after=utcnow() + timedelta(hours=1))

    first = _claim(engine, "w1")
    second = _claim(engine, "w2")

    assert first == [now_job]
    assert second == []


def test_a_dead_workers_job_is_taken_over_when_its_lease_runs_out(engine: Engine) -> None:
    job_id = _enqueue(engine) or ""
    _claim(engine, "dead-worker", lease=timedelta(seconds=30))
    with engine.begin() as conn:  # time passes: the lease expires
        conn.execute(update(JOBS).where(JOBS.c.id == job_id).values(lease_until=utcnow() - timedelta(seconds=1)))

    taken = _claim(engine, "w2")
    with engine.begin() as conn:
        late_completion = complete(conn, job_id, "dead-worker")
        job = get_job(conn, job_id)

    assert taken == [job_id]
    assert late_completion is False  # the old owner can no longer finish it
    assert job["attempts"] == 2
    assert job["lease_owner"] == "w2"


def test_a_failure_is_retried_later_until_the_attempts_are_spent(engine: Engine) -> None:
    job_id = _enqueue(engine, max_attempts=2) or ""
    _claim(engine, "w1")
    with engine.begin() as conn:
        first = fail(conn, job_id, "w1", "boom", retry_in=timedelta(seconds=0))
    _claim(engine, "w1")
    with engine.begin() as conn:
        second = fail(conn, job_id, "w1", "boom again", retry_in=timedelta(seconds=0))
        job = get_job(conn, job_id)

    assert first == "queued"
    assert second == "failed"
    assert job["status"] == "failed"
    assert job["last_error"] == "boom again"


def test_workers_claiming_at_once_never_share_a_job(engine: Engine) -> None:
    for _ in range(40):
        _enqueue(engine)
    claimed: dict[str, list[str]] = {}

    def work(name: str) -> None:
        ids: list[str] = []
        while batch := _claim(engine, name, limit=3):
            ids += batch
        claimed[name] = ids

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    every = [job for ids in claimed.values() for job in ids]
    assert len(every) == 40
    assert len(set(every)) == 40
