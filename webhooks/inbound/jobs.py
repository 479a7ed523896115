"""The ``inbound`` job: a worker processes the messages a batch of requests stored.

Every commit of accepted messages queues one job with their ids, in the same
transaction, so a message can never be stored without its job. A worker killed
mid-batch rolls the batch back; its job is claimed again when the lease runs out.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine

from hub.jobs.queue import Job
from hub.jobs.worker import Handler
from hub.mapping.registry import RegistryCache
from hub.settings import Settings
from webhooks.inbound.context import Contexts
from webhooks.inbound.messages import INBOUND_JOB
from webhooks.inbound.processing import ProcessorRegistry, process_messages

__all__ = ["INBOUND_JOB", "inbound_handler"]


def inbound_handler(
    engine: Engine, settings: Settings, *, contexts: Contexts | None = None, registry: ProcessorRegistry | None = None
) -> Handler:
    """The worker's handler for ``inbound`` jobs."""
    # Mapping files are looked at once a second, not per batch (like hub.yaml): a scan per small batch
    # was a fifth of the processing time.
    context_source = contexts if contexts is not None else Contexts(
        settings.workspace, mappings=RegistryCache(check_every=1.0))

    async def handle(job: Job) -> dict[str, Any]:
        ids = [str(message_id) for message_id in job.payload.get("ids", [])]
        outcomes = await asyncio.to_thread(process_messages, engine, ids, context_source, registry=registry)
        done = sum(1 for o in outcomes if o.ok)
        return {"processed": done, "quarantined": len(outcomes) - done, "skipped": len(ids) - len(outcomes)}

    return handle
