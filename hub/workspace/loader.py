"""Load a workspace: read ``hub.yaml``, check all of it, report every error with its line."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import TypeAdapter, ValidationError

from hub.store.rules import StoreRules
from hub.workspace.config import SECTIONS, SourceConfig, WorkspaceConfig, did_you_mean
from hub.workspace.identity import identity_problems, store_rules
from hub.workspace.schema_errors import validation_problems
from hub.workspace.secret_refs import secret_problems
from hub.workspace.yamlfile import LoadedYaml, Problem, YamlPath, config_error, parse_yaml

CONFIG_FILE = "hub.yaml"


@dataclass(frozen=True)
class Workspace:
    """A loaded, valid workspace: the folder an IT admin keeps in git."""

    root: Path
    config: WorkspaceConfig
    store_rules: StoreRules

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def mappings_dir(self) -> Path:
        """``mappings/*.yaml``: mappings that override or add to the shipped ones."""
        return self.root / "mappings"

    @property
    def flows_dir(self) -> Path:
        """``flows/*.yaml``: the workspace's declarative flows."""
        return self.root / "flows"


def load_workspace(path: Path | str, *, env: Mapping[str, str] | None = None) -> Workspace:
    """Read ``<path>/hub.yaml`` (a missing file means every default) and check it.

    ``${NAME}`` references are read from ``env``; by default from the process
    environment, then from ``<path>/.env``. Raises :class:`~hub.errors.ConfigError`
    listing every error as ``hub.yaml:LINE: dotted.path: reason`` (``details`` has
    them as ``{file, line, path, message}``), or when the folder does not exist.
    """
    root = Path(path).expanduser()
    if not root.is_dir():
        reason = "is not a folder" if root.exists() else "does not exist"
        raise config_error(
            [
                Problem(
                    str(root), None, (),
                    f"workspace folder {reason}: create one with `hub init {root}` "
                    "or point HUB_WORKSPACE at your workspace",
                )
            ]
        )
    root = root.resolve()
    config_file = root / CONFIG_FILE
    if not config_file.exists():
        config = WorkspaceConfig()
    else:
        variables = workspace_environment(root) if env is None else env
        loaded = parse_yaml(config_file, source_name=CONFIG_FILE, env=variables)
        validated, problems = validate_config(loaded)
        if validated is None:
            raise config_error(problems)
        config = validated
    return Workspace(root=root, config=config, store_rules=store_rules(config.identity))


def workspace_environment(root: Path) -> dict[str, str]:
    """Variables for ``${NAME}``: the workspace's ``.env`` file, overridden by the process environment."""
    file_values = dotenv_values(root / ".env") if (root / ".env").is_file() else {}
    return {**{k: v for k, v in file_values.items() if v is not None}, **os.environ}


def validate_config(loaded: LoadedYaml) -> tuple[WorkspaceConfig | None, list[Problem]]:
    """The config, or ``None`` and every problem: parse errors, shape errors, cross-checks and literal secrets."""
    problems = list(loaded.problems)
    data = loaded.data
    if data is None:
        return (None if problems else WorkspaceConfig()), problems
    if not isinstance(data, dict):
        expected = ", ".join(SECTIONS)
        problems.append(loaded.problem((), f"{loaded.source_name} must be a mapping of sections: {expected}"))
        return None, problems
    sections: dict[str, Any] = {}
    for key, value in data.items():
        if key not in SECTIONS:
            hint = did_you_mean(str(key), tuple(SECTIONS)) or f"; expected one of: {', '.join(SECTIONS)}"
            problems.append(loaded.problem((key,), f"unknown section {key!r}{hint}"))
            continue
        try:
            sections[key] = _adapter(key).validate_python(value)
        except ValidationError as exc:
            problems += validation_problems(loaded, exc, root=SECTIONS[key], base=(key,))
            continue
        problems += [loaded.problem((key, *path), message) for path, message in _cross_checks(key, sections[key])]
    problems += secret_problems(loaded)
    if problems:
        return None, problems
    return WorkspaceConfig(**sections), []


@cache
def _adapter(section: str) -> TypeAdapter[Any]:
    return TypeAdapter(SECTIONS[section])


def _cross_checks(section: str, value: Any) -> list[tuple[YamlPath, str]]:
    if section == "identity":
        return identity_problems(value)
    if section == "sources":
        return _source_problems(value)
    return []


def _source_problems(sources: Mapping[str, SourceConfig]) -> list[tuple[YamlPath, str]]:
    return [
        (
            (name, "verify", "header"),
            "standard-webhooks reads the webhook-id, webhook-timestamp and webhook-signature headers; remove header",
        )
        for name, source in sources.items()
        if source.verify.scheme == "standard-webhooks" and source.verify.header is not None
    ]
