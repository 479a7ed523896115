"""YAML files an admin writes: every key and value keeps its line, ``${ENV}`` is interpolated.

Used for ``hub.yaml`` and for mapping files, so any later validation error can be
reported as ``hub.yaml:12: connectors.kingdee-main.type: ...``::

    loaded = load_yaml(Path("hub.yaml"), source_name="hub.yaml")
    loaded.data                                   # plain dicts, lists and scalars
    loaded.line_of(("connectors", "kingdee-main", "type"))   # -> 12
    raise loaded.error_at(("connectors", "kingdee-main", "type"), "unknown type")

Rules beyond plain YAML (PyYAML's safe subset):

- a key twice in one mapping is an error naming both lines (PyYAML keeps the last silently);
- ``${NAME}`` in a string value is replaced by the variable; ``${NAME:-default}`` uses
  ``default`` when it is unset or empty; ``$$`` is a literal ``$``; an unset variable
  without a default is an error naming file, line and variable, never an empty string;
- keys are never interpolated; merge keys (``<<: *anchor``) work as in YAML 1.1.

:func:`load_yaml` raises :class:`~hub.errors.ConfigError` listing every problem;
:func:`parse_yaml` returns them in ``LoadedYaml.problems`` so a caller can add its own
validation errors and report all of them at once (:func:`config_error`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hub.errors import ConfigError

YamlPath = tuple[Hashable, ...]

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"

# ``$$`` (escaped dollar), ``${...}`` (a reference), or an unclosed ``${``.
_REFERENCE = re.compile(r"\$\$|\$\{([^{}]*)\}|\$\{")
_REFERENCE_BODY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?", re.DOTALL)
_SINGLE_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def format_path(path: Iterable[Hashable]) -> str:
    """``("connectors", "kd", "entities")`` -> ``connectors.kd.entities``; list indexes as ``[2]``."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def is_reference(text: str) -> bool:
    """Whether ``text`` is exactly one ``${NAME}`` reference (no default, nothing around it)."""
    return _SINGLE_REFERENCE.fullmatch(text) is not None


@dataclass(frozen=True)
class Problem:
    """One error in a file: where it is and what is wrong."""

    file: str
    line: int | None
    path: YamlPath
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        dotted = format_path(self.path)
        return f"{where}: {dotted}: {self.message}" if dotted else f"{where}: {self.message}"

    def as_detail(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "path": format_path(self.path), "message": self.message}


def config_error(problems: Iterable[Problem]) -> ConfigError:
    """One :class:`ConfigError` for every problem, sorted by file and line.

    The message lists each as ``file:line: dotted.path: reason``; ``details`` is the
    same as a list of ``{file, line, path, message}``.
    """
    ordered = sorted(problems, key=lambda p: (p.file, p.line or 0))
    if not ordered:
        raise ValueError("config_error() needs at least one problem")
    if len(ordered) == 1:
        message = str(ordered[0])
    else:
        message = f"{len(ordered)} configuration errors:\n" + "\n".join(f"  {p}" for p in ordered)
    return ConfigError(message, details=[p.as_detail() for p in ordered])


@dataclass(frozen=True)
class _Position:
    key_line: int | None  # line of the mapping key (None for list items and the root)
    value_line: int


@dataclass(frozen=True)
class LoadedYaml:
    """A parsed YAML document that remembers where every key and value came from."""

    data: Any
    source_name: str
    problems: tuple[Problem, ...] = ()
    _positions: Mapping[YamlPath, _Position] = field(default_factory=dict, repr=False)
    _raw: Mapping[YamlPath, str] = field(default_factory=dict, repr=False)

    def line_of(self, path: Iterable[Hashable]) -> int | None:
        """The line of the key at ``path`` (of the item, in a list).

        A path that is not in the file (a missing required key, say) gives the line of
        its nearest ancestor that is, so an error always points somewhere useful.
        """
        parts = tuple(path)
        while True:
            position = self._positions.get(parts)
            if position is not None:
                return position.key_line or position.value_line
            if not parts:
                return None
            parts = parts[:-1]

    def value_line_of(self, path: Iterable[Hashable]) -> int | None:
        """The line where the value at ``path`` starts (differs from the key for block values)."""
        position = self._positions.get(tuple(path))
        return position.value_line if position else self.line_of(path)

    def raw_of(self, path: Iterable[Hashable]) -> str | None:
        """The scalar at ``path`` exactly as written, before ``${ENV}`` interpolation."""
        return self._raw.get(tuple(path))

    def problem(self, path: Iterable[Hashable], message: str) -> Problem:
        parts = tuple(path)
        return Problem(self.source_name, self.line_of(parts), parts, message)

    def error_at(self, path: Iterable[Hashable], message: str) -> ConfigError:
        return config_error([self.problem(path, message)])

    def raise_for_problems(self) -> None:
        if self.problems:
            raise config_error(self.problems)


def parse_yaml(
    source: str | Path,
    *,
    source_name: str | None = None,
    env: Mapping[str, str] | None = None,
    interpolate: bool = True,
) -> LoadedYaml:
    """Parse YAML text (``str``) or a file (``Path``), collecting problems instead of raising.

    ``env`` gives the variables for ``${NAME}`` (default: the process environment);
    ``interpolate=False`` leaves string values as written. A syntax error stops the
    parse (``data`` is ``None``); duplicate keys and unset variables do not.
    """
    name = source_name or (str(source) if isinstance(source, Path) else "<string>")
    if isinstance(source, Path):
        try:
            text = source.read_text(encoding="utf-8-sig")  # tolerate the BOM Windows editors add
        except FileNotFoundError:
            return LoadedYaml(None, name, (Problem(name, None, (), "file not found"),))
        except UnicodeDecodeError as exc:
            return LoadedYaml(None, name, (Problem(name, None, (), f"not UTF-8 text ({exc.reason})"),))
        except OSError as exc:
            return LoadedYaml(None, name, (Problem(name, None, (), f"cannot read: {exc.strerror or exc}"),))
    else:
        text = source
    loader = LineLoader(text, source_name=name, env=os.environ if env is None else env, interpolate=interpolate)
    try:
        data = loader.load_document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = ": ".join(str(part) for part in (exc.context, exc.problem) if part)
        lines = text.splitlines()
        if line is not None and 0 < line <= len(lines) and "${" in lines[line - 1]:
            reason += ' (inside {...} or [...] a reference needs quotes: secret: "${NAME}")'
        return LoadedYaml(None, name, (Problem(name, line, (), f"invalid YAML: {reason}"),))
    except yaml.YAMLError as exc:
        return LoadedYaml(None, name, (Problem(name, None, (), f"invalid YAML: {exc}"),))
    finally:
        loader.dispose()
    problems = tuple(dict.fromkeys(loader.problems))  # an anchor merged twice reports its problems once
    return LoadedYaml(data, name, problems, loader.positions, loader.raw)


def load_yaml(
    source: str | Path,
    *,
    source_name: str | None = None,
    env: Mapping[str, str] | None = None,
    interpolate: bool = True,
) -> LoadedYaml:
    """Like :func:`parse_yaml`, but raise :class:`ConfigError` listing every problem found."""
    loaded = parse_yaml(source, source_name=source_name, env=env, interpolate=interpolate)
    loaded.raise_for_problems()
    return loaded


class LineLoader(yaml.SafeLoader):
    """A SafeLoader that builds the document itself, recording positions on the way.

    PyYAML composes the node tree (which carries marks); this class turns it into
    plain Python values path by path, so it knows the path of every key and value.
    Scalars are constructed by SafeLoader's own constructors (ints, bools, dates...).
    """

    def __init__(self, text: str, *, source_name: str, env: Mapping[str, str], interpolate: bool) -> None:
        super().__init__(text)
        self.source_name = source_name
        self.env = env
        self.interpolate = interpolate
        self.positions: dict[YamlPath, _Position] = {}
        self.raw: dict[YamlPath, str] = {}
        self.problems: list[Problem] = []

    def load_document(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        self.positions[()] = _Position(None, node.start_mark.line + 1)
        return self._build(node, (), set())

    def _add(self, node: Node, path: YamlPath, message: str) -> None:
        self.problems.append(Problem(self.source_name, node.start_mark.line + 1, path, message))

    def _build(self, node: Node, path: YamlPath, active: set[int]) -> Any:
        if id(node) in active:
            self._add(node, path, "an alias refers to the mapping or list that contains it")
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        active = active | {id(node)}
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ_TAG:
                self._add(node, path, f"unsupported tag {node.tag!r}")
                return None
            items = []
            for index, item in enumerate(node.value):
                item_path = (*path, index)
                self.positions[item_path] = _Position(None, item.start_mark.line + 1)
                items.append(self._build(item, item_path, active))
            return items
        if isinstance(node, MappingNode):
            if node.tag != _MAP_TAG:
                self._add(node, path, f"unsupported tag {node.tag!r}")
                return None
            return self._mapping(node, path, active)
        self._add(node, path, "unsupported YAML node")  # pragma: no cover - PyYAML has only these three
        return None

    def _mapping(self, node: MappingNode, path: YamlPath, active: set[int]) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        own_lines: dict[Any, int] = {}
        merges = [(k, v) for k, v in node.value if k.tag == _MERGE_TAG]
        for _key_node, value_node in merges:
            # YAML 1.1 merge: earlier mappings in ``<<: [*a, *b]`` win, the mapping's own keys win over all.
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in reversed(sources):
                if not isinstance(source, MappingNode):
                    self._add(source, path, "a merge key (<<) takes a mapping or a list of mappings")
                    continue
                merged = self._build(source, path, active)
                if isinstance(merged, dict):
                    result.update(merged)
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            if not isinstance(key_node, ScalarNode):
                self._add(key_node, path, "a key must be a plain value, not a mapping or a list")
                continue
            key = self.construct_object(key_node, deep=True)
            key_line = key_node.start_mark.line + 1
            key_path = (*path, key)
            if key in own_lines:
                self._add(key_node, key_path, f"duplicate key {key!r} (lines {own_lines[key]} and {key_line})")
            own_lines[key] = key_line
            self.positions[key_path] = _Position(key_line, value_node.start_mark.line + 1)
            result[key] = self._build(value_node, key_path, active)
        return result

    def _scalar(self, node: ScalarNode, path: YamlPath) -> Any:
        self.raw[path] = node.value
        try:
            value = self.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self._add(node, path, str(exc.problem or exc))
            return None
        if node.tag == _STR_TAG and self.interpolate and isinstance(value, str) and "$" in value:
            return self._interpolate(value, node, path)
        return value

    def _interpolate(self, text: str, node: ScalarNode, path: YamlPath) -> str:
        def replace(match: re.Match[str]) -> str:
            whole = match.group(0)
            if whole == "$$":
                return "$"
            body = match.group(1)
            parsed = _REFERENCE_BODY.fullmatch(body) if body is not None else None
            if parsed is None:
                self._add(node, path, f"bad variable reference {whole!r}: write ${{NAME}} or ${{NAME:-default}}")
                return whole
            name, default = parsed.group(1), parsed.group(2)
            value = self.env.get(name)
            if default is not None and not value:
                return default
            if value is None:
                self._add(
                    node, path,
                    f"environment variable {name} is not set (export it or add it to .env; "
                    f"${{{name}:-default}} gives a default)",
                )
                return ""
            return value

        return _REFERENCE.sub(replace, text)
