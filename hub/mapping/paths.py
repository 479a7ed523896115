"""Paths into vendor records: ``FBillNo``, ``FCustId.FNumber``, ``FEntity[0].FQty``.

A dotted name is first tried as one flat key (Kingdee's ExecuteBillQuery returns
``FCustId.FNumber`` as a single column), then walked segment by segment through
nested dicts and lists. Both forms work in the same file.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]")


class PathSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Path:
    text: str
    parts: tuple[str | int, ...]

    @property
    def is_simple(self) -> bool:
        """One plain key: the fast path (a single dict lookup)."""
        return len(self.parts) == 1 and isinstance(self.parts[0], str)


def parse_path(text: str) -> Path:
    """Split ``a.b[0].c`` into ``("a", "b", 0, "c")``; raise PathSyntaxError on nonsense."""
    if not isinstance(text, str) or not text.strip():
        raise PathSyntaxError("a path must be a non-empty string such as FBillNo or FCustId.FNumber")
    text = text.strip()
    parts: list[str | int] = []
    position = 0
    expect_dot = False
    while position < len(text):
        if expect_dot and text[position] == ".":
            position += 1
            expect_dot = False
            continue
        match = _SEGMENT.match(text, position)
        if match is None or (expect_dot and match.group(1) is not None):
            raise PathSyntaxError(f"cannot read the path {text!r} at character {position + 1}")
        if match.group(1) is not None:
            parts.append(match.group(1))
        else:
            parts.append(int(match.group(2)))
        position = match.end()
        expect_dot = True
    if not parts or text.endswith("."):
        raise PathSyntaxError(f"cannot read the path {text!r}")
    return Path(text, tuple(parts))


def getter(path: Path) -> Callable[[Any], Any]:
    """A function returning the value at ``path`` in a record, or None when it is not there."""
    if path.is_simple:
        key = path.parts[0]

        def get_simple(record: Any) -> Any:
            return record.get(key) if isinstance(record, dict) else None

        return get_simple
    flat, parts = path.text, path.parts

    def get_nested(record: Any) -> Any:
        # as the compiled transform reads it: the flat key when it has a value, else the nested walk
        value = record.get(flat) if isinstance(record, dict) else None
        return walk(record, parts) if value is None else value

    return get_nested


def walk(value: Any, parts: tuple[str | int, ...]) -> Any:
    """Follow ``parts``; at each dict also try the remaining dotted keys as one flat key."""
    for index, part in enumerate(parts):
        if value is None:
            return None
        if isinstance(part, int):
            if not isinstance(value, list) or not -len(value) <= part < len(value):
                return None
            value = value[part]
            continue
        if not isinstance(value, dict):
            return None
        rest = parts[index:]
        if len(rest) > 1 and all(isinstance(p, str) for p in rest):
            joined = ".".join(str(p) for p in rest)
            if joined in value:
                return value[joined]
        value = value.get(part)
    return value


def setter(path: Path) -> Callable[[dict[str, Any], Any], None]:
    """A function writing a value at ``path``, creating nested dicts (and lists) on the way."""
    parts = path.parts

    def set_value(target: dict[str, Any], value: Any) -> None:
        node: Any = target
        for part, following in itertools.pairwise(parts):
            child_default: Any = [] if isinstance(following, int) else {}
            if isinstance(part, int):
                while len(node) <= part:
                    node.append(None)
                if node[part] is None:
                    node[part] = child_default
                node = node[part]
            else:
                node = node.setdefault(part, child_default)
        last = parts[-1]
        if isinstance(last, int):
            while len(node) <= last:
                node.append(None)
        node[last] = value

    return set_value
