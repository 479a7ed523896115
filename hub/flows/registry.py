"""The workspace's flows (``flows/*.yaml``), loaded and checked together, and a cache for workers."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hub.errors import NotFoundError
from hub.flows.spec import Flow, parse_flow
from hub.workspace.loader import workspace_environment
from hub.workspace.yamlfile import Problem, config_error


@dataclass(frozen=True)
class FlowRegistry:
    flows: Mapping[str, Flow] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def get(self, name: str) -> Flow:
        flow = self.flows.get(name)
        if flow is None:
            raise NotFoundError(f"no flow {name!r}; flows: {', '.join(sorted(self.flows)) or '(none)'}",
                                details={"flows": sorted(self.flows)})
        return flow

    def triggered_by(self, event_type: str) -> list[Flow]:
        return [f for f in self.flows.values() if f.enabled and f.trigger.matches_type(event_type)]

    def raise_for_problems(self) -> None:
        if self.problems:
            raise config_error(self.problems)


def flow_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yaml", ".yml")) if folder.is_dir() else []


def load_flows(workspace_root: Path | None, files: list[Path] | None = None) -> FlowRegistry:
    """Every flow file (default: ``<workspace>/flows/*.yaml``); problems are collected, not raised."""
    folder = (workspace_root or Path(".")) / "flows"
    paths = files if files is not None else flow_files(folder)
    env = workspace_environment(workspace_root) if workspace_root is not None else None  # ${NAME} as in hub.yaml
    flows: dict[str, Flow] = {}
    problems: list[Problem] = []
    for path in paths:
        shown = _shown(path, workspace_root)
        flow, found = parse_flow(path, shown=shown, env=env)
        problems += found
        if flow is None:
            continue
        if flow.name in flows:
            problems.append(Problem(shown, 1, ("name",), f"flow {flow.name!r} is also defined in "
                                                         f"{flows[flow.name].file}"))
            continue
        flows[flow.name] = flow
    return FlowRegistry(flows, tuple(problems))


def _shown(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


class FlowCache:
    """The flows, reloaded when a file changes (looked at no more often than ``check_every`` seconds)."""

    def __init__(self, workspace_root: Path | None, *, check_every: float = 1.0) -> None:
        self.root = workspace_root
        self.check_every = check_every
        self._registry: FlowRegistry | None = None
        self._stamp: tuple[tuple[str, float, int], ...] = ()
        self._checked = 0.0

    def get(self) -> FlowRegistry:
        now = time.monotonic()
        if self._registry is not None and now - self._checked < self.check_every:
            return self._registry
        self._checked = now
        stamp = tuple((str(p), p.stat().st_mtime, p.stat().st_size)
                      for p in flow_files((self.root or Path(".")) / "flows"))
        if self._registry is None or stamp != self._stamp:
            self._registry = load_flows(self.root)
            self._stamp = stamp
        return self._registry
