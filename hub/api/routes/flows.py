"""``/api/v1/flows`` and ``/api/v1/flow-runs``: the workspace's flows, checking one, and their runs."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Query
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import Operator, ReadConn, State, WriteConn
from hub.db.paging import MAX_PAGE
from hub.db.types import utcnow
from hub.errors import ConfigError, InvalidRequestError
from hub.flows.checks import check_flows, reference_problems, reference_warnings, retry_run
from hub.flows.preview import event_for, event_of_record, preview_flow
from hub.flows.registry import load_flows
from hub.flows.runs import cancel_run, list_runs, load_run, run_json, run_steps
from hub.flows.spec import parse_flow
from hub.workspace.loader import load_workspace
from hub.workspace.yamlfile import Problem as FileProblem

router = APIRouter(prefix="/flows", tags=["flows"])
runs_router = APIRouter(prefix="/flow-runs", tags=["flows"])

MAX_TEXT = 1_000_000
TEXT_NAME = "<text>"  # the file name problems of a posted text carry
RunStatus = Literal["running", "waiting", "succeeded", "failed", "cancelled"]


class Problem(BaseModel):
    file: str | None = None
    line: int | None
    path: str
    message: str


class FlowSummary(BaseModel):
    name: str
    file: str
    description: str
    enabled: bool
    trigger: dict[str, Any] = Field(description="events (types, order.* wildcards) and when (a CEL condition).")
    steps: list[dict[str, Any]] = Field(description="id and kind of each step, in file order.")
    hash: str = Field(description="Of the file's text; a run records the version that started it.")


class FlowList(BaseModel):
    items: list[FlowSummary]
    problems: list[Problem] = Field(description="Errors in the files (their flows are not in items) and in what the "
                                                "flows name: connectors, actions, mappings, event types.")
    warnings: list[Problem] = Field(description="Webhook steps naming a subscription hub.yaml does not declare.")


class ValidateFlow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_TEXT, description="The flow file's YAML text.")


class Validation(BaseModel):
    ok: bool
    errors: list[Problem]
    warnings: list[Problem]
    flow: FlowSummary | None = Field(default=None, description="The flow as loaded, when ok.")


class FlowRun(BaseModel):
    id: str
    flow: str
    flow_hash: str
    status: RunStatus
    step: str | None = Field(description="The step the run is at, failed at, or (succeeded) ended with.")
    event: dict[str, Any] | None = Field(description="id and type of the event that started the run.")
    entity: str | None
    record_id: str | None
    error: dict[str, Any] | None = Field(description="step, code and message of the failure.")
    outputs: dict[str, Any] = Field(description="Each finished step's output, by step id.")
    created_at: str
    updated_at: str
    finished_at: str | None


class FlowRunStep(BaseModel):
    step: str
    kind: str
    status: str = Field(description="running, waiting, retrying, succeeded, skipped, failed or pending (resumed).")
    attempts: int
    idempotency_key: str = Field(description="What the step passes to the connector; the same on every retry.")
    output: dict[str, Any] | None
    error: str | None
    started_at: str
    finished_at: str | None


class FlowRunDetail(FlowRun):
    steps: list[FlowRunStep]


class FlowRunPage(BaseModel):
    items: list[FlowRun]
    next_before: str | None = Field(description="Pass as ?before= for older runs; null on the last page.")


class RetryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_step: str | None = Field(default=None, description="Resume at this step of the current flow file "
                                                            "(default: the step the run stopped at).")


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str | None = Field(default=None, description="An event (evt_...) to run the flow on.")
    entity: str | None = Field(default=None, description="Or a record as it is now: its entity ...")
    record_id: str | None = Field(default=None, description="... and id ...")
    type: str | None = Field(default=None, description="... and the event type to pretend happened "
                                                       "(default: the trigger's first).")


@router.post("/{name}/preview", summary="Dry-run a flow on one event: what each step would do; nothing is done")
def preview(name: str, body: PreviewRequest, conn: ReadConn, state: State) -> dict[str, Any]:
    if (body.event_id is None) == (body.record_id is None and body.entity is None):
        raise InvalidRequestError("give event_id, or entity and record_id (one of them)")
    flow = load_flows(state.settings.workspace).get(name)
    workspace = load_workspace(state.settings.workspace)
    if body.event_id is not None:
        event = event_for(conn, body.event_id)
    else:
        if not (body.entity and body.record_id):
            raise InvalidRequestError("a record preview needs both entity and record_id")
        event = event_of_record(conn, body.entity, body.record_id, body.type or flow.trigger.events[0])
    return preview_flow(conn, flow, workspace, state.mappings.get(state.settings.workspace), event)


@router.get("", summary="The workspace's flows, and every problem in them or in what they name")
def list_flows(state: State) -> FlowList:
    checked = check_flows(state.settings.workspace, mappings=state.mappings.get(state.settings.workspace))
    flows = [checked.registry.flows[name] for name in sorted(checked.registry.flows)]
    return FlowList(items=[FlowSummary.model_validate(f.summary()) for f in flows],
                    problems=_problems(checked.problems), warnings=_problems(checked.warnings))


@router.post("/validate", summary="Check a flow's text: every error with its line, and what it names")
def validate_flow(body: ValidateFlow, _principal: Operator, state: State) -> Validation:
    with _text_file(body.text) as path:
        # ${NAME} is not filled from the server's environment: posted text must not read it back.
        flow, problems = parse_flow(path, shown=TEXT_NAME, env=_AS_WRITTEN)
        warnings: list[FileProblem] = []
        if flow is not None:
            try:
                workspace = load_workspace(state.settings.workspace)
            except ConfigError as exc:
                problems = [FileProblem("hub.yaml", None, (), f"{exc.message} (the flow's connectors, mappings "
                                                              "and subscriptions were not checked)")]
            else:
                mappings = state.mappings.get(state.settings.workspace)
                problems = reference_problems(flow, workspace, mappings, source=path)
                warnings = reference_warnings(flow, workspace, source=path)
    summary = FlowSummary.model_validate(flow.summary()) if flow is not None and not problems else None
    return Validation(ok=not problems, errors=_problems(problems), warnings=_problems(warnings), flow=summary)


@runs_router.get("", summary="Flow runs, newest first")
def list_flow_runs(
    conn: ReadConn,
    flow: Annotated[str | None, Query(description="Only this flow's runs.")] = None,
    status: Annotated[RunStatus | None, Query(description="Only runs in this status.")] = None,
    record_id: Annotated[str | None, Query(description="Only runs about this canonical record.")] = None,
    before: Annotated[str | None, Query(description="next_before of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> FlowRunPage:
    items, next_before = list_runs(conn, flow=flow, status=status, record_id=record_id, cursor=before, limit=limit)
    return FlowRunPage(items=[FlowRun.model_validate(i) for i in items], next_before=next_before)


@runs_router.get("/{run_id}", summary="One flow run with each of its steps")
def get_flow_run(run_id: str, conn: ReadConn) -> FlowRunDetail:
    return FlowRunDetail.model_validate({**run_json(load_run(conn, run_id)), "steps": run_steps(conn, run_id)})


@runs_router.post(
    "/{run_id}/retry",
    summary="Resume a failed or cancelled run, with the flow file as it is now",
    responses={409: {"description": "The run is not failed or cancelled, or its flow no longer loads."}},
)
def retry_flow_run(run_id: str, state: State, _operator: Operator, conn: WriteConn, tasks: BackgroundTasks,
                   body: RetryRequest | None = None) -> FlowRunDetail:
    registry = load_flows(state.settings.workspace)
    retry_run(conn, registry, run_id, from_step=body.from_step if body else None, now=utcnow())
    if state.background is not None:  # after the commit: run the queued step now, not at the next poll
        tasks.add_task(state.background.wake)
    return FlowRunDetail.model_validate({**run_json(load_run(conn, run_id)), "steps": run_steps(conn, run_id)})


@runs_router.post(
    "/{run_id}/cancel",
    summary="Cancel a running or waiting run (a step already running finishes)",
    responses={409: {"description": "The run is not running or waiting."}},
)
def cancel_flow_run(run_id: str, _operator: Operator, conn: WriteConn) -> FlowRunDetail:
    cancel_run(conn, run_id, now=utcnow())
    return FlowRunDetail.model_validate({**run_json(load_run(conn, run_id)), "steps": run_steps(conn, run_id)})


def _problems(problems: list[FileProblem]) -> list[Problem]:
    return [Problem.model_validate(p.as_detail()) for p in problems]


class _AsWritten(Mapping[str, str]):
    """An environment in which every ``${NAME}`` is itself: the text is checked as written."""

    def __getitem__(self, name: str) -> str:
        return "${" + name + "}"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


_AS_WRITTEN = _AsWritten()


@contextmanager
def _text_file(text: str) -> Iterator[Path]:
    """The posted text in a private temporary file (flows are parsed from files); removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="hub-flow-") as folder:
        path = Path(folder) / "flow.yaml"
        path.write_text(text, encoding="utf-8")
        yield path
