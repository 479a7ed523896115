"""``/api/v1/jobs/{id}``: a queued job (a sync) and what became of it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from hub.api.deps import ReadConn
from hub.jobs.queue import get_job

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("/{job_id}", summary="One job: kind, payload, status, attempts, last error and result")
def get_job_route(job_id: str, conn: ReadConn) -> dict[str, Any]:
    return get_job(conn, job_id)
