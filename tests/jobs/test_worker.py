"""The worker runs handlers and records what happened to each job."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine

from hub.errors import RateLimitedError, RetryableError
from hub.jobs import Job, Worker, enqueue, get_job


def _job(engine: Engine, kind: str = "echo", payload: dict[str, Any] | None = None) -> str:
    with engine.begin() as conn:
        job_id = enqueue(conn, kind, payload or {"n": 1})
    assert job_id is not None
    return job_id


def _status(engine: Engine, job_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        return get_job(conn, job_id)


def test_a_handlers_result_is_stored_on_the_succeeded_job(db_engine: Engine) -> None:
    async def echo(job: Job) -> dict[str, Any]:
        return {"doubled": job.payload["n"] * 2}

    job_id = _job(db_engine)
    asyncio.run(Worker(db_engine, {"echo": echo}).drain())

    job = _status(db_engine, job_id)
    assert job["status"] == "succeeded"
    assert job["result"] == {"doubled": 2}


def test_a_retryable_error_queues_the_job_again_after_the_vendors_retry_after(db_engine: Engine) -> None:
    async def throttled(job: Job) -> None:
        raise RateLimitedError("vendor says slow down", retry_after=600)

    job_id = _job(db_engine)
    asyncio.run(Worker(db_engine, {"echo": throttled}).drain())

    job = _status(db_engine, job_id)
    assert job["status"] == "queued"
    assert job["attempts"] == 1
    assert "slow down" in job["last_error"]
    assert job["run_after"] > job["created_at"]


def test_a_crashing_handler_fails_its_job_and_the_worker_goes_on(db_engine: Engine) -> None:
    async def handler(job: Job) -> dict[str, Any]:
        if job.payload["n"] == 1:
            raise KeyError("bug")
        return {"ok": True}

    crashing, healthy = _job(db_engine, payload={"n": 1}), _job(db_engine, payload={"n": 2})
    asyncio.run(Worker(db_engine, {"echo": handler}).drain())

    assert _status(db_engine, crashing)["status"] == "failed"
    assert "KeyError" in _status(db_engine, crashing)["last_error"]
    assert _status(db_engine, healthy)["status"] == "succeeded"


def test_jobs_run_concurrently_up_to_the_limit(db_engine: Engine) -> None:
    running = 0
    peak = 0

    async def slow(job: Job) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1

    ids = [_job(db_engine) for _ in range(6)]
    asyncio.run(Worker(db_engine, {"echo": slow}, concurrency=3).drain())

    assert peak == 3
    assert {_status(db_engine, i)["status"] for i in ids} == {"succeeded"}


def test_only_kinds_with_a_handler_are_claimed(db_engine: Engine) -> None:
    async def echo(job: Job) -> None:
        return None

    other = _job(db_engine, kind="delivery")
    asyncio.run(Worker(db_engine, {"echo": echo}).drain())

    assert _status(db_engine, other)["status"] == "queued"


def test_retryable_errors_without_retry_after_back_off(db_engine: Engine) -> None:
    async def flaky(job: Job) -> None:
        raise RetryableError("HTTP 503 from the vendor")

    job_id = _job(db_engine)
    asyncio.run(Worker(db_engine, {"echo": flaky}).drain())

    job = _status(db_engine, job_id)
    assert job["status"] == "queued"
    assert job["run_after"] > job["created_at"]
