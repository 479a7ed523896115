"""Retrying quarantined records: map the stored raw record again with the current mapping, and store it.

After fixing a mapping (or syncing the customers an order refers to), retrying lands
the records that failed without reading the vendor again. Each record is retried in
its own transaction; one that fails again stays pending with the new reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from hub.db.types import utcnow
from hub.errors import ConflictError, HubError
from hub.mapping.registry import MappingRegistry, load_registry
from hub.sync.landing import land
from hub.sync.plan import StreamPlan, connector_class, connector_config
from hub.sync.quarantine import get_entry, mark_resolved, record_failure
from hub.workspace.loader import Workspace


@dataclass(frozen=True)
class RetryOutcome:
    id: str
    ok: bool
    status: str  # the entry's status afterwards: retried, or still pending
    action: str | None = None  # what the store did: created, updated, unchanged
    error: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "ok": self.ok, "status": self.status, "action": self.action, "error": self.error}


def retry_entries(
    engine: Engine,
    workspace: Workspace,
    entry_ids: Sequence[str],
    *,
    actor: str,
    registry: MappingRegistry | None = None,
) -> list[RetryOutcome]:
    """Retry each pending entry; raises NotFoundError for an unknown id and ConflictError for a settled one."""
    mappings = registry if registry is not None else load_registry(workspace.root, partial=True)
    return [_retry(engine, workspace, mappings, entry_id, actor) for entry_id in entry_ids]


def _retry(
    engine: Engine, workspace: Workspace, registry: MappingRegistry, entry_id: str, actor: str
) -> RetryOutcome:
    with engine.begin() as conn:
        entry = get_entry(conn, entry_id)
        if entry["status"] != "pending":
            raise ConflictError(f"quarantined record {entry_id} is already {entry['status']}",
                                details={"status": entry["status"]})
        try:
            plan = _plan(workspace, registry, entry)
        except HubError as exc:  # the connector or mapping is gone or broken: say so, keep the entry
            return RetryOutcome(entry_id, False, "pending", error={"kind": "config", "message": exc.message})
        now = utcnow()
        landing = land(conn, plan, [entry["raw"]], workspace.store_rules, now=now)
        if landing.quarantined:
            error = landing.quarantined[0].error
            record_failure(conn, entry_id, error, now=now)
            return RetryOutcome(entry_id, False, "pending", error=error.as_json())
        mark_resolved(conn, entry_id, "retried", actor=actor, now=now)
    counts = landing.counts.as_dict()
    action = next((name for name in ("created", "updated", "unchanged") if counts[name]), None)
    return RetryOutcome(entry_id, True, "retried", action=action)


def _plan(workspace: Workspace, registry: MappingRegistry, entry: dict[str, Any]) -> StreamPlan:
    """The stream the record came from, with the current version of its mapping."""
    config = connector_config(workspace, entry["connector"])
    spec = connector_class(workspace, entry["connector"]).streams.get(entry["stream"])
    if spec is None:
        raise ConflictError(f"connector {entry['connector']} no longer has a stream {entry['stream']!r}")
    configured = config.entities.get(entry["entity"])
    mapping_name = entry["mapping"] or (configured.mapping if configured else None)
    if mapping_name is None:
        raise ConflictError(f"connector {entry['connector']} no longer syncs {entry['entity']}")
    mapping = registry.get(mapping_name).mapping
    return StreamPlan(entry["connector"], config.type, config.system_name, entry["entity"], entry["stream"], spec,
                      mapping)
