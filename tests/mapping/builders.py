"""Builders that keep mapping tests short: a mapping from its ``fields:`` block, problems, a counting resolver."""

from __future__ import annotations

import textwrap
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import pytest

from hub.errors import ConfigError
from hub.mapping import Mapping, load_mapping, read_spec
from hub.workspace.yamlfile import Problem


def mapping_yaml(
    fields: str,
    *,
    entity: str = "order",
    system: str = "kingdee",
    object_: str = "SAL_SaleOrder",
    id_path: str = "FBillNo",
    name: str = "test-mapping",
    extra: str = "",
) -> str:
    """A complete mapping file around a ``fields:`` block written without its indentation."""
    body = textwrap.indent(textwrap.dedent(fields).strip("\n"), "  ")
    header = f"version: 1\nname: {name}\nsystem: {system}\nobject: {object_}\nentity: {entity}\nid: {id_path}\n"
    return f"{header}fields:\n{body}\n{textwrap.dedent(extra).strip()}\n"


def mapping(fields: str, **kwargs: Any) -> Mapping:
    return load_mapping(mapping_yaml(fields, **kwargs), source_name="test.yaml")


def load_problems(text: str, source_name: str = "test.yaml") -> list[Problem]:
    spec, problems = read_spec(text, source_name=source_name)
    assert spec is None, "expected the mapping to be refused"
    return problems


def config_error(text: str, source_name: str | None = "test.yaml") -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_mapping(text, source_name=source_name)
    return caught.value


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the only line of ``text`` containing ``fragment``."""
    lines = [number for number, line in enumerate(text.splitlines(), 1) if fragment in line]
    assert len(lines) == 1, f"{fragment!r} is on lines {lines}"
    return lines[0]


def problem_with(problems: list[Problem], fragment: str) -> Problem:
    found = [p for p in problems if fragment in p.message]
    assert len(found) == 1, f"no single problem mentioning {fragment!r} in {[str(p) for p in problems]}"
    return found[0]


@dataclass
class FakeResolver:
    """The crosswalk as two tables per (system, entity); records every call it gets."""

    canonical: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)  # external id -> canonical id
    calls: list[tuple[str, str, str, frozenset[str]]] = field(default_factory=list)

    def to_canonical(self, system: str, entity: str, external_ids: Collection[str]) -> dict[str, str]:
        self.calls.append(("to_canonical", system, entity, frozenset(external_ids)))
        known = self.canonical.get((system, entity), {})
        return {e: known[e] for e in external_ids if e in known}

    def to_external(self, system: str, entity: str, record_ids: Collection[str]) -> dict[str, str]:
        self.calls.append(("to_external", system, entity, frozenset(record_ids)))
        inverse = {c: e for e, c in self.canonical.get((system, entity), {}).items()}
        return {r: inverse[r] for r in record_ids if r in inverse}
