"""Jobs: the one mechanism by which work is queued in the database and claimed by workers.

Sync runs (and later deliveries and flow steps) are rows in ``jobs``. Anything may
enqueue; workers claim with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so a
killed worker's jobs are claimed again when its lease runs out.
"""

from hub.jobs.queue import (
    Job,
    active_job,
    cancel,
    claim,
    claim_job,
    complete,
    enqueue,
    extend_lease,
    fail,
    get_job,
    list_jobs,
)
from hub.jobs.worker import Handler, Worker

__all__ = [
    "Handler",
    "Job",
    "Worker",
    "active_job",
    "cancel",
    "claim",
    "claim_job",
    "complete",
    "enqueue",
    "extend_lease",
    "fail",
    "get_job",
    "list_jobs",
]
