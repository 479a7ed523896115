"""What a flow names outside itself, checked against the workspace: ``hub flows validate`` catches it before a run.

A flow file can be valid on its own and still name a connector that is not in hub.yaml,
an action its connector type does not have, or a mapping that does not exist; those
would only fail at the step, on a live event. :func:`check_flows` finds them with the
file and line, like every other configuration error::

    flows/order-to-production.yaml:12: steps[0].connector: no connector named 'kingde-main' in hub.yaml ...

Subscriptions are the exception: one may be created through the API (it lives only in the
database), so a webhook step naming a subscription that hub.yaml does not declare is a
*warning*, never an error.

Also here: :func:`retry_run`, which resumes a run only at a step the current flow file has
(the CLI and the API share it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from hub.errors import ConfigError, ConflictError, HubError, InvalidRequestError, NotFoundError
from hub.flows.registry import FlowRegistry, load_flows
from hub.flows.runs import load_run, resume_run
from hub.flows.spec import Flow, Step
from hub.mapping.registry import MappingRegistry, load_registry
from hub.sdk.registry import connector_type
from hub.workspace.config import did_you_mean, known_event_types
from hub.workspace.loader import CONFIG_FILE, Workspace, load_workspace
from hub.workspace.yamlfile import LoadedYaml, Problem, YamlPath, parse_yaml

RESUMABLE = ("failed", "cancelled")


@dataclass(frozen=True)
class FlowCheck:
    """The loaded flows, every error (file and reference problems), and warnings that do not fail validation."""

    registry: FlowRegistry
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def validate_flows(workspace_root: Path, files: list[Path] | None = None) -> tuple[FlowRegistry, list[Problem]]:
    """The flows (default ``<workspace>/flows/*.yaml``) and every problem: in the files and in what they name."""
    checked = check_flows(workspace_root, files)
    return checked.registry, checked.problems


def check_flows(workspace_root: Path, files: list[Path] | None = None, *,
                mappings: MappingRegistry | None = None) -> FlowCheck:
    """:func:`validate_flows` with the warnings too (``mappings``: a registry already loaded, e.g. the API's)."""
    registry = load_flows(workspace_root, files)
    problems = list(registry.problems)
    warnings: list[Problem] = []
    if not registry.flows:
        return FlowCheck(registry, problems, warnings)
    try:
        workspace = load_workspace(workspace_root)
    except ConfigError as exc:  # hub.yaml itself is broken: what the flows name cannot be checked against it
        return FlowCheck(registry, problems + _workspace_problems(exc), warnings)
    mappings = mappings if mappings is not None else load_registry(workspace.root, partial=True)
    for flow in registry.flows.values():
        problems += reference_problems(flow, workspace, mappings)
        warnings += reference_warnings(flow, workspace)
    return FlowCheck(registry, _ordered(problems), _ordered(warnings))


def reference_problems(flow: Flow, workspace: Workspace, mappings: MappingRegistry, *,
                       source: Path | None = None) -> list[Problem]:
    """Connectors, actions, mappings and event types ``flow`` names that the workspace does not have.

    ``source``: the file to read key lines from (default: ``flow.file`` in the workspace);
    without it, a problem carries the step's line.
    """
    lines = _Lines(flow, workspace, source)
    problems = [lines.problem(("trigger", "event"), message) for message in _trigger_messages(flow)]
    for index, step in enumerate(flow.steps):
        for key, message in _step_messages(step, workspace, mappings):
            problems.append(lines.problem(("steps", index, *key), message, step))
    return problems


def reference_warnings(flow: Flow, workspace: Workspace, *, source: Path | None = None) -> list[Problem]:
    """Webhook steps naming a subscription hub.yaml does not declare (it may exist, created through the API)."""
    lines = _Lines(flow, workspace, source)
    declared = workspace.config.subscriptions
    warnings = []
    for index, step in enumerate(flow.steps):
        name = step.option("subscription")
        if step.kind == "webhook" and isinstance(name, str) and name not in declared:
            hint = did_you_mean(name, tuple(declared))
            warnings.append(lines.problem(
                ("steps", index, "subscription"),
                f"no subscription {name!r} in {CONFIG_FILE}{hint}; fine if it was created through the API "
                "(hub subscriptions list), else the step fails", step))
    return warnings


def _trigger_messages(flow: Flow) -> Iterator[str]:
    known = known_event_types()
    for pattern in flow.trigger.events:
        if pattern == "*":
            continue
        if pattern.endswith(".*"):
            if not any(t.startswith(pattern[:-1]) for t in known):
                yield f"{pattern!r} matches no event type"
        elif pattern not in known:
            yield (f"unknown event type {pattern!r}{did_you_mean(pattern, known)}: no run would ever start; use "
                   "<entity>.created|updated|deleted|merged or a transition such as order.confirmed")


def _step_messages(step: Step, workspace: Workspace, mappings: MappingRegistry) -> Iterator[tuple[YamlPath, str]]:
    if step.kind not in ("push", "notify"):
        return
    name = step.option("connector")
    connectors = workspace.config.connectors
    if name not in connectors:
        known = f"configured: {', '.join(sorted(connectors))}" if connectors else f"{CONFIG_FILE} has no connectors"
        yield ("connector",), (f"no connector named {name!r} in {CONFIG_FILE}"
                               f"{did_you_mean(str(name), tuple(connectors))}; {known}")
        return
    config = connectors[name]
    try:
        actions = connector_type(config.type).actions
    except ConfigError as exc:
        yield ("connector",), f"connector {name} in {CONFIG_FILE}: {exc.message}"
        return
    action = step.option("action")
    if action not in actions:
        hint = did_you_mean(str(action), tuple(actions))
        yield ("action",), (f"connector {name} (type {config.type}) has no action {action!r}{hint}; actions: "
                            f"{', '.join(sorted(actions)) or 'none'}")
    if step.kind == "push" and step.option("mapping") is not None:
        yield from _mapping_messages(step, config.type, mappings)


def _mapping_messages(step: Step, system: str, mappings: MappingRegistry) -> Iterator[tuple[YamlPath, str]]:
    name = str(step.option("mapping"))
    try:
        mapping = mappings.get(name).mapping
    except NotFoundError as exc:
        yield ("mapping",), exc.message
        return
    except ConfigError:
        yield ("mapping",), f"mapping {name!r} failed to load (hub mappings validate shows why)"
        return
    # As a sync does (hub/sync/plan.py): a mapping is for one system's records.
    if mapping.system != system:
        yield ("mapping",), (f"mapping {name} is for {mapping.system} records, but connector "
                             f"{step.option('connector')} is of type {system}")
    store = step.option("store")
    if isinstance(store, Mapping) and store.get("entity") != mapping.entity:
        yield ("store", "entity"), (f"mapping {name} produces {mapping.entity} records, not {store.get('entity')}; "
                                    f"store the pushed record as {mapping.entity} or use another mapping")


class _Lines:
    """Lines of keys in the flow's file, read only when there is a problem to place."""

    def __init__(self, flow: Flow, workspace: Workspace, source: Path | None) -> None:
        self.flow = flow
        self.path = source if source is not None else _file_of(flow, workspace)
        self._loaded: LoadedYaml | None = None

    def problem(self, path: YamlPath, message: str, step: Step | None = None) -> Problem:
        return Problem(self.flow.file, self._line(path) or (step.line if step else None), path, message)

    def _line(self, path: YamlPath) -> int | None:
        if self.path is None or not self.path.is_file():
            return None
        if self._loaded is None:  # interpolation off: only positions are wanted, never values
            self._loaded = parse_yaml(self.path, source_name=self.flow.file, interpolate=False)
        return self._loaded.line_of(path)


def _file_of(flow: Flow, workspace: Workspace) -> Path | None:
    path = Path(flow.file)
    return path if path.is_absolute() else workspace.root / path


def _workspace_problems(exc: ConfigError) -> list[Problem]:
    details = exc.details if isinstance(exc.details, list) else []
    problems = [Problem(str(d.get("file") or CONFIG_FILE), d.get("line"), (d["path"],) if d.get("path") else (),
                        str(d.get("message"))) for d in details if isinstance(d, dict)]
    note = Problem(CONFIG_FILE, None, (), "has errors, so the connectors, mappings and subscriptions the flows name "
                                          "were not checked (hub config validate)")
    return [*(problems or [Problem(CONFIG_FILE, None, (), exc.message)]), note]


def _ordered(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file, p.line or 0))


# -- resuming a run --------------------------------------------------------------------------------------


def retry_run(conn: Connection, registry: FlowRegistry, run_id: str, *, from_step: str | None = None,
              now: datetime) -> dict[str, Any]:
    """Resume a failed or cancelled run at ``from_step`` (default: where it stopped), in the current flow file.

    ConflictError when the run is not failed or cancelled, or its flow is no longer loaded;
    InvalidRequestError naming the flow's steps when the step is not one of them.
    """
    run = load_run(conn, run_id)
    if run["status"] not in RESUMABLE:
        return resume_run(conn, run_id, from_step=from_step, now=now)  # raises the ConflictError
    try:
        flow = registry.get(run["flow"])
    except HubError:
        problems = [p.as_detail() for p in registry.problems]
        raise ConflictError(f"flow {run['flow']} is not loaded (its file is missing or has errors: "
                            "hub flows validate); fix it before retrying", details=problems or None) from None
    steps = [s.id for s in flow.steps]
    step = from_step or run["step"]
    if step not in steps:
        reason = (f"flow {flow.name} has no step {step!r}" if from_step else
                  f"run {run_id} stopped at step {step!r}, which flow {flow.name} no longer has; choose a step")
        raise InvalidRequestError(f"{reason}{did_you_mean(str(step), steps)}", details={"steps": steps})
    return resume_run(conn, run_id, from_step=from_step, steps=steps, now=now)
