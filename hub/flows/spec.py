"""A flow file (``flows/*.yaml``) parsed and checked: the trigger, the steps, every expression compiled.

Every problem is reported with file, line and path, like mappings and hub.yaml::

    flows/order-to-production.yaml:14: steps[0].for_each: invalid expression at column 9: ...

See docs/flows.md for the language.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from hub.errors import ConfigError
from hub.flows.expressions import VARIABLES, Expression, Value, compile_expression, compile_value
from hub.workspace.yamlfile import LoadedYaml, Problem, YamlPath, config_error, parse_yaml

KINDS = ("push", "notify", "record", "find", "webhook", "wait", "branch")
END = "end"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_DURATION = re.compile(r"^(\d+)\s*(ms|s|m|h|d)$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
ENTITIES = ("customer", "order", "ticket", "contract", "project", "production_order")


@dataclass(frozen=True)
class Trigger:
    events: tuple[str, ...]  # event types; ``order.*`` wildcards
    when: Expression | None = None

    def matches_type(self, event_type: str) -> bool:
        return any(_type_matches(pattern, event_type) for pattern in self.events)


def _type_matches(pattern: str, event_type: str) -> bool:
    if pattern in ("*", event_type):
        return True
    return pattern.endswith(".*") and event_type.startswith(pattern[:-1])


@dataclass(frozen=True)
class Retry:
    attempts: int = 5
    backoff: float = 5.0  # seconds before the 2nd attempt; doubles each time, capped at an hour

    def delay(self, attempt: int) -> float:
        return float(min(self.backoff * (2 ** max(attempt - 1, 0)), 3600.0))


@dataclass(frozen=True)
class Step:
    id: str
    kind: str
    line: int | None
    options: Mapping[str, Any]  # the kind's settings: literals, Values and Expressions
    when: Expression | None = None
    for_each: Expression | None = None
    next: str | None = None  # where to go after this step (default: the next in the file)
    retry: Retry = field(default_factory=Retry)
    position: int = 0  # its index in the file's steps list

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)


@dataclass(frozen=True)
class Flow:
    name: str
    file: str
    description: str
    trigger: Trigger
    steps: tuple[Step, ...]
    vars: Mapping[str, Any]
    enabled: bool
    hash: str  # of the file's text: a run records which version started it

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise ConfigError(f"flow {self.name} has no step {step_id!r}",
                          details={"steps": [s.id for s in self.steps]})

    def after(self, step: Step) -> str | None:
        """The id of the step that follows ``step`` (None: the run is done)."""
        if step.next is not None:
            return None if step.next == END else step.next
        index = self.steps.index(step)
        return self.steps[index + 1].id if index + 1 < len(self.steps) else None

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "description": self.description, "enabled": self.enabled,
                "trigger": {"events": list(self.trigger.events),
                            "when": self.trigger.when.source if self.trigger.when else None},
                "steps": [{"id": s.id, "kind": s.kind} for s in self.steps], "hash": self.hash}


def parse_duration(value: Any) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``1d`` or a number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return timedelta(seconds=value)
    match = _DURATION.match(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(f"{value!r} is not a duration; write e.g. 90s, 15m, 2h or 1d")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def load_flow(path: Path, *, shown: str | None = None, env: Mapping[str, str] | None = None) -> Flow:
    """Parse and check one flow file; ConfigError listing every problem with its line."""
    flow, problems = parse_flow(path, shown=shown, env=env)
    if problems or flow is None:
        raise config_error(problems or [Problem(shown or str(path), None, (), "the file is empty")])
    return flow


def parse_flow(path: Path, *, shown: str | None = None, env: Mapping[str, str] | None = None
               ) -> tuple[Flow | None, list[Problem]]:
    """The flow in ``path`` (None when it has errors) and every problem found."""
    name = shown or str(path)
    loaded = parse_yaml(path, source_name=name, env=env)
    problems = list(loaded.problems)
    if loaded.data is None:
        return None, problems or [Problem(name, None, (), "the file is empty")]
    flow = _Parser(loaded, problems, path.read_text(encoding="utf-8-sig")).flow()
    problems.sort(key=lambda p: p.line or 0)
    return (None if problems else flow), problems


class _Parser:
    """Walks the YAML, collecting every problem instead of stopping at the first."""

    def __init__(self, loaded: LoadedYaml, problems: list[Problem], text: str) -> None:
        self.loaded = loaded
        self.problems = problems
        self.text = text

    def fail(self, path: YamlPath, message: str) -> None:
        self.problems.append(self.loaded.problem(path, message))

    def flow(self) -> Flow | None:
        data = self.loaded.data
        if not isinstance(data, dict):
            self.fail((), "a flow file is a mapping with name, trigger and steps")
            return None
        self._known(data, (), ("version", "name", "description", "enabled", "trigger", "vars", "steps"))
        if data.get("version", 1) != 1:
            self.fail(("version",), "only version 1 exists")
        name = data.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            self.fail(("name",), "a name is required: lower-case letters, digits, - and _ (e.g. order-to-production)")
        trigger = self._trigger(data.get("trigger"))
        variables = data.get("vars") or {}
        if not isinstance(variables, dict):
            self.fail(("vars",), "vars is a mapping of names to constant values")
            variables = {}
        steps = self._steps(data.get("steps"))
        if trigger is None or not isinstance(name, str):
            return None
        return Flow(name, self.loaded.source_name, str(data.get("description") or ""), trigger, tuple(steps),
                    variables, bool(data.get("enabled", True)), hashlib.sha256(self.text.encode()).hexdigest()[:16])

    def _known(self, data: Mapping[str, Any], path: YamlPath, allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                self.fail((*path, key), f"unknown key; expected one of {', '.join(allowed)}")

    def _expression(self, path: YamlPath, source: Any, allowed: tuple[str, ...] = VARIABLES) -> Expression | None:
        if not isinstance(source, str):
            self.fail(path, "an expression (CEL text) is expected here")
            return None
        try:
            return compile_expression(source, allowed=allowed)
        except ConfigError as exc:
            self.fail(path, exc.message)
            return None

    def _value(self, path: YamlPath, raw: Any) -> Value | None:
        try:
            return compile_value(raw)
        except ConfigError as exc:
            self.fail(path, exc.message)
            return None

    def _trigger(self, data: Any) -> Trigger | None:
        if not isinstance(data, dict) or "event" not in data:
            self.fail(("trigger",), "trigger needs event: the event type that starts a run (e.g. order.confirmed)")
            return None
        self._known(data, ("trigger",), ("event", "when"))
        events = data["event"] if isinstance(data["event"], list) else [data["event"]]
        if not events or not all(isinstance(e, str) and re.match(r"^[a-z_]+\.([a-z_]+|\*)$|^\*$", e) for e in events):
            self.fail(("trigger", "event"), "an event type such as order.confirmed, a wildcard such as order.*, "
                                            "or a list of them")
            return None
        when = None
        if "when" in data:
            when = self._expression(("trigger", "when"), data["when"], ("event", "record", "vars", "now"))
        return Trigger(tuple(events), when)

    def _steps(self, data: Any) -> list[Step]:
        if not isinstance(data, list) or not data:
            self.fail(("steps",), "steps is a list of at least one step")
            return []
        steps: list[Step] = []
        seen: dict[str, int] = {}
        for index, raw in enumerate(data):
            path: YamlPath = ("steps", index)
            if not isinstance(raw, dict):
                self.fail(path, "a step is a mapping with id and kind")
                continue
            step = self._step(path, raw)
            if step is None:
                continue
            if step.id in seen:
                self.fail((*path, "id"), f"step id {step.id!r} is used twice (also steps[{seen[step.id]}])")
            seen[step.id] = index
            steps.append(step)
        for step in steps:  # jumps must land on a step further on
            index = step.position
            for key, target in (("next", step.next), ("then", step.option("then")), ("else", step.option("else")),
                                ("on_timeout", step.option("on_timeout"))):
                if not isinstance(target, str) or target in (END, "fail", "continue"):
                    continue
                if target not in seen:
                    self.fail(("steps", index, key), f"no step {target!r} to go to; steps: {', '.join(seen)}, "
                                                     "or end")
                elif seen[target] <= seen[step.id]:  # no loops: each step runs at most once per run
                    self.fail(("steps", index, key), f"{key} goes back to {target!r}; a flow only jumps forward "
                                                     "(each step runs at most once per run)")
        return steps

    def _step(self, path: YamlPath, raw: Mapping[str, Any]) -> Step | None:
        step_id, kind = raw.get("id"), raw.get("kind")
        ok = True
        if not isinstance(step_id, str) or not _NAME.match(step_id) or step_id == END:
            self.fail((*path, "id"), "each step needs an id: lower-case letters, digits, - and _")
            ok = False
        if kind not in KINDS:
            self.fail((*path, "kind"), f"kind must be one of {', '.join(KINDS)}")
            return None
        common = ("id", "kind", "when", "for_each", "next", "retry", "description")
        allowed, check = _KIND_OPTIONS[kind]
        self._known(raw, path, common + allowed)
        options: dict[str, Any] = {}
        for key in allowed:
            if key not in raw:
                continue
            if key in _CONDITIONS:
                options[key] = self._expression((*path, key), raw[key])
            elif key in _PLAIN:
                options[key] = raw[key]
            else:
                options[key] = self._value((*path, key), raw[key])
        for problem_path, message in check(raw):
            self.fail((*path, *problem_path), message)
        when = self._expression((*path, "when"), raw["when"]) if "when" in raw else None
        for_each = self._expression((*path, "for_each"), raw["for_each"]) if "for_each" in raw else None
        if for_each is not None and kind not in ("push", "notify", "webhook"):
            self.fail((*path, "for_each"), f"a {kind} step cannot repeat over a list")
        retry = self._retry((*path, "retry"), raw.get("retry"))
        nxt = raw.get("next")
        if nxt is not None and not isinstance(nxt, str):
            self.fail((*path, "next"), "next is a step id or end")
        if not ok or not isinstance(step_id, str):
            return None
        return Step(step_id, kind, self.loaded.line_of(path), options, when, for_each,
                    nxt if isinstance(nxt, str) else None, retry, position=path[1] if isinstance(path[1], int) else 0)

    def _retry(self, path: YamlPath, raw: Any) -> Retry:
        if raw is None:
            return Retry()
        if not isinstance(raw, dict):
            self.fail(path, "retry is {attempts: N, backoff: 5s}")
            return Retry()
        self._known(raw, path, ("attempts", "backoff"))
        attempts = raw.get("attempts", 5)
        if not isinstance(attempts, int) or not 1 <= attempts <= 50:
            self.fail((*path, "attempts"), "attempts is a whole number from 1 to 50")
            attempts = 5
        try:
            backoff = parse_duration(raw.get("backoff", 5)).total_seconds()
        except ConfigError as exc:
            self.fail((*path, "backoff"), exc.message)
            backoff = 5.0
        return Retry(attempts, backoff)


_CONDITIONS = ("until", "if")  # options that are always expressions
_PLAIN = ("connector", "action", "mapping", "entity", "subscription", "event", "template", "then", "else",
          "on_timeout", "every", "timeout", "store")
Check = Callable[[Mapping[str, Any]], list[tuple[YamlPath, str]]]


def _requires(*names: str) -> Check:
    def check(raw: Mapping[str, Any]) -> list[tuple[YamlPath, str]]:
        return [((name,), f"this step needs {name}") for name in names if name not in raw]
    return check


def _entity_check(*names: str) -> Check:
    base = _requires(*names)

    def check(raw: Mapping[str, Any]) -> list[tuple[YamlPath, str]]:
        problems = base(raw)
        if "entity" in raw and raw["entity"] not in ENTITIES:
            problems.append((("entity",), f"entity must be one of {', '.join(ENTITIES)}"))
        return problems
    return check


def _push_check(raw: Mapping[str, Any]) -> list[tuple[YamlPath, str]]:
    problems = _requires("connector", "action", "record")(raw)
    store = raw.get("store")
    if store is not None:
        if not isinstance(store, dict) or store.get("entity") not in ENTITIES:
            problems.append((("store",), f"store is {{entity: <one of {', '.join(ENTITIES)}>}}"))
        elif "mapping" not in raw:
            problems.append((("store",), "store needs mapping: the canonical record is what the mapping reverses"))
    return problems


def _wait_check(raw: Mapping[str, Any]) -> list[tuple[YamlPath, str]]:
    chosen = [key for key in ("delay", "at", "until") if key in raw]
    problems: list[tuple[YamlPath, str]] = []
    if len(chosen) != 1:
        problems.append(((), "a wait step has exactly one of delay (a duration), at (a timestamp expression) or "
                             "until (a condition on the record)"))
    if "until" in raw and "timeout" not in raw:
        problems.append((("timeout",), "until needs a timeout (e.g. 2h): a condition that never holds would wait "
                                       "forever"))
    for key in ("every", "timeout"):
        if key in raw:
            try:
                parse_duration(raw[key])
            except ConfigError as exc:
                problems.append(((key,), exc.message))
    if "delay" in raw and not (isinstance(raw["delay"], str) and raw["delay"].startswith("=")):
        try:
            parse_duration(raw["delay"])
        except ConfigError as exc:
            problems.append((("delay",), exc.message))
    return problems


_KIND_OPTIONS: dict[str, tuple[tuple[str, ...], Check]] = {
    "push": (("connector", "action", "mapping", "record", "store"), _push_check),
    "notify": (("connector", "action", "to", "template", "lang", "data", "message"),
               _requires("connector", "action")),
    "record": (("entity", "record_id", "key", "fields"), _entity_check("entity", "fields")),
    "find": (("entity", "where", "limit"), _entity_check("entity")),
    "webhook": (("subscription", "event", "data"), _requires("subscription", "event")),
    "wait": (("delay", "at", "until", "every", "timeout", "on_timeout"), _wait_check),
    "branch": (("if", "then", "else"), _requires("if")),
}
