"""Inbound webhooks: verify, persist before answering, deduplicate, process later.

::

    POST /webhooks/in/{source}  (receiver)
        ─► verify (verification) ─► GroupCommitWriter ─► accept_many: inbound_messages + job, one commit ─► 202
    worker, job "inbound"  (jobs)
        ─► process_messages ─► the channel's processor (webhook: mapping ─► store ─► events)
        ─► processed | quarantined ─► replay_messages after a fix

The vendors' callbacks reuse the same machinery: store with :func:`accept` (or a
:class:`GroupCommitWriter`) under their own channel, answer the vendor, and add a
processor for the channel to :data:`~webhooks.inbound.processing.PROCESSORS`.
"""

from webhooks.inbound.context import Contexts, ProcessingContext, WorkspaceCache
from webhooks.inbound.jobs import inbound_handler
from webhooks.inbound.messages import (
    INBOUND_JOB,
    Accepted,
    NewMessage,
    accept,
    accept_many,
    get_message,
    list_messages,
    message_ids,
)
from webhooks.inbound.processing import (
    PROCESSORS,
    Outcome,
    Processor,
    ProcessorRegistry,
    StoredMessage,
    process_messages,
    processed,
    quarantined,
    register_processor,
    replay_messages,
)
from webhooks.inbound.tables import PENDING, PROCESSED, QUARANTINED, STATUSES, InboundMessageRow
from webhooks.inbound.writer import GroupCommitWriter

__all__ = [
    "INBOUND_JOB",
    "PENDING",
    "PROCESSED",
    "PROCESSORS",
    "QUARANTINED",
    "STATUSES",
    "Accepted",
    "Contexts",
    "GroupCommitWriter",
    "InboundMessageRow",
    "NewMessage",
    "Outcome",
    "ProcessingContext",
    "Processor",
    "ProcessorRegistry",
    "StoredMessage",
    "WorkspaceCache",
    "accept",
    "accept_many",
    "get_message",
    "inbound_handler",
    "list_messages",
    "message_ids",
    "process_messages",
    "processed",
    "quarantined",
    "register_processor",
    "replay_messages",
]
