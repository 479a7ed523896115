"""The full schema: importing this registers every table on ``metadata`` (used by Alembic)."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlmodel import SQLModel

import hub.events.tables
import hub.flows.tables
import hub.jobs.tables
import hub.sdk.tokens
import hub.security.tables
import hub.store.tables
import hub.sync.tables  # noqa: F401
import webhooks.inbound.tables
import webhooks.outbound.tables  # noqa: F401

metadata: MetaData = SQLModel.metadata
