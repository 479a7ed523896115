"""``/api/v1/connectors``: the configured connectors, testing them, and queueing their syncs."""

from __future__ import annotations

import asyncio
from typing import Any, Self

from fastapi import APIRouter, BackgroundTasks, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.api.deps import Operator, ReadConn, State, WriteConn
from hub.errors import ConflictError, HubError
from hub.sdk.contract import Health
from hub.sync.catalog import connector_summaries, connector_summary
from hub.sync.engine import SyncRequest
from hub.sync.jobs import active_sync, enqueue_sync
from hub.sync.plan import build_connector, connector_config, entities_of, secret_box
from hub.sync.runs import last_runs
from hub.workspace.loader import Workspace, load_workspace

router = APIRouter(prefix="/connectors", tags=["connectors"])


class ConnectorList(BaseModel):
    items: list[dict[str, Any]] = Field(
        description="name, type, system, installed, settings (secrets masked), settings_error, entities "
                    "(entity, mapping, schedule, last_run)."
    )


class HealthResult(BaseModel):
    ok: bool
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class SyncBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity: str | None = Field(default=None, description="Sync only this entity [default: every entity].")
    full: bool = Field(default=False, description="Read everything and detect deleted records.")
    confirm_deletions: bool = Field(
        default=False, description="With full: delete the missing records even beyond the deletion guard."
    )

    @model_validator(mode="after")
    def _only_full_deletes(self) -> Self:
        if self.confirm_deletions and not self.full:
            raise ValueError("confirm_deletions needs full: only a full sync deletes")
        return self


class QueuedSyncs(BaseModel):
    jobs: list[dict[str, str]] = Field(description="connector, entity, job_id, run_id of each queued sync.")
    already_active: list[dict[str, Any]] = Field(
        description="Entities whose sync was already queued or running (entity, job_id, status): not queued again."
    )


@router.get("", summary="The connectors in hub.yaml, settings masked")
def list_connectors(state: State, conn: ReadConn) -> ConnectorList:
    workspace = _workspace(state)
    return ConnectorList(items=[_with_runs(conn, item) for item in connector_summaries(workspace)])


@router.get("/{name}", summary="One connector, settings masked, with each entity's last run")
def get_connector(name: str, state: State, conn: ReadConn) -> dict[str, Any]:
    return _with_runs(conn, connector_summary(_workspace(state), name))


@router.post("/{name}/test", summary="One authenticated call to the system: are the settings right?")
async def check_connector(name: str, state: State, _principal: Operator) -> HealthResult:
    workspace = await asyncio.to_thread(_workspace, state)
    connector_config(workspace, name)  # 404 for an unknown name; every other failure is the answer
    key = state.settings.secret_key
    try:
        connector = build_connector(workspace, name, engine=state.engine,
                                    secrets=secret_box(key.get_secret_value() if key else None))
        try:
            health = await connector.check()
        finally:
            await connector.aclose()
    except HubError as exc:
        health = Health(False, exc.message, exc.details if isinstance(exc.details, dict) else {})
    return HealthResult(ok=health.ok, message=health.message, details=health.details)


@router.post(
    "/{name}/sync",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Queue a sync of the connector (every entity, or one)",
    responses={409: {"description": "A sync of every asked entity is already queued or running."}},
)
def queue_sync(
    name: str, body: SyncBody, state: State, _principal: Operator, conn: WriteConn, tasks: BackgroundTasks
) -> QueuedSyncs:
    workspace = _workspace(state)
    queued: list[dict[str, str]] = []
    active: list[dict[str, Any]] = []
    for entity in entities_of(workspace, name, body.entity):
        enqueued = enqueue_sync(conn, SyncRequest(name, entity, body.full, body.confirm_deletions))
        if enqueued is not None:
            queued.append(enqueued.as_json())
            continue
        job = active_sync(conn, name, entity) or {}
        active.append({"entity": entity, "job_id": job.get("id"), "status": job.get("status")})
    if not queued:
        raise ConflictError(f"a sync of {name} is already queued or running for every entity asked",
                            details={"already_active": active})
    if state.background is not None:
        tasks.add_task(state.background.wake)  # after the response: the jobs are committed by then
    return QueuedSyncs(jobs=queued, already_active=active)


def _workspace(state: State) -> Workspace:
    return load_workspace(state.settings.workspace)


def _with_runs(conn: ReadConn, summary: dict[str, Any]) -> dict[str, Any]:
    runs = last_runs(conn, summary["name"], [e["entity"] for e in summary["entities"]])
    for entity in summary["entities"]:
        entity["last_run"] = runs.get(entity["entity"])
    return summary
