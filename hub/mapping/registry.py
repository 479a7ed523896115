"""The set of loaded mappings: the shipped ones, overridden or added to by the workspace's.

::

    registry = load_registry(settings.workspace)              # ConfigError listing every problem
    registry = load_registry(settings.workspace, partial=True)  # what loads; the rest in .errors
    registry.get("kingdee-customer").mapping.apply(raw)

Shipped mappings live in the repository's ``mappings/`` folder, the workspace's in
``<workspace>/mappings/``; both are searched recursively for ``*.yaml`` and ``*.yml``.
A workspace file replaces the shipped file of the same ``name`` (the entry records
which one it ``overrides``). Two files with one name in the same place are an error
naming both, and so is a workspace file that fails to load: it never falls back to
the shipped mapping it meant to replace.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import hub
from hub.errors import NotFoundError
from hub.mapping.mapping import Mapping
from hub.mapping.spec import read_spec
from hub.workspace.yamlfile import Problem, config_error, parse_yaml

Source = Literal["shipped", "workspace"]
WORKSPACE_MAPPINGS = "mappings"  # <workspace>/mappings/
SUFFIXES = (".yaml", ".yml")


def shipped_mappings_dir() -> Path:
    """The repository's top-level ``mappings/`` folder (mappings for the built-in connectors)."""
    return Path(hub.__file__).resolve().parents[1] / "mappings"


def mapping_files(folder: Path) -> list[Path]:
    """Every ``*.yaml``/``*.yml`` under ``folder`` (recursively), in a stable order; none if it is missing."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in SUFFIXES and p.is_file())


@dataclass(frozen=True)
class MappingEntry:
    """One loaded mapping and where it came from."""

    mapping: Mapping
    source: Source
    path: Path  # absolute
    file: str  # as shown in messages: relative to the workspace, absolute for shipped files
    overrides: Path | None = None  # the shipped file this workspace file replaces

    name = property(lambda self: self.mapping.name)
    entity = property(lambda self: self.mapping.entity)
    system = property(lambda self: self.mapping.system)
    object = property(lambda self: self.mapping.object)
    hash = property(lambda self: self.mapping.hash)

    def summary(self) -> dict[str, Any]:
        """JSON-ready: name, entity, system, object, source, file, hash, overrides."""
        return {
            "name": self.name, "entity": self.entity, "system": self.system, "object": self.object,
            "source": self.source, "file": self.file, "hash": self.hash,
            "overrides": str(self.overrides) if self.overrides else None,
        }


@dataclass(frozen=True)
class MappingFileError:
    """A file that did not load, with every problem found in it."""

    source: Source
    path: Path
    file: str
    problems: tuple[Problem, ...]
    name: str | None = None  # the name it declares, when that much could be read

    def summary(self) -> dict[str, Any]:
        return {"source": self.source, "file": self.file, "name": self.name,
                "problems": [p.as_detail() for p in self.problems]}


@dataclass(frozen=True)
class MappingRegistry:
    entries: dict[str, MappingEntry] = field(default_factory=dict)
    errors: tuple[MappingFileError, ...] = ()

    def get(self, name: str) -> MappingEntry:
        """The mapping called ``name``; NotFoundError (with "did you mean") or ConfigError if its file is broken."""
        entry = self.entries.get(name)
        if entry is not None:
            return entry
        broken = [e for e in self.errors if e.name == name]
        if broken:
            raise config_error([p for e in broken for p in e.problems])
        close = difflib.get_close_matches(name, list(self.entries), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else (
            f"; known: {', '.join(sorted(self.entries))}" if self.entries else "; no mappings are loaded")
        raise NotFoundError(f"no mapping named {name!r}{hint}")

    def all(self) -> list[MappingEntry]:
        """Every loaded mapping, by name."""
        return [self.entries[name] for name in sorted(self.entries)]

    @property
    def problems(self) -> list[Problem]:
        return [p for e in self.errors for p in e.problems]

    def __len__(self) -> int:
        return len(self.entries)


def load_registry(
    workspace_root: Path | None, *, shipped_dir: Path | None = None, partial: bool = False
) -> MappingRegistry:
    """Load the shipped mappings and the workspace's (``<workspace_root>/mappings``).

    Every file is read and checked before anything is decided. With ``partial=False``
    any problem raises one ConfigError listing them all (``file:line: path: message``);
    with ``partial=True`` the valid mappings load and the broken files are in ``errors``.
    """
    shipped_root = shipped_dir if shipped_dir is not None else shipped_mappings_dir()
    shipped, shipped_errors = _load_source("shipped", shipped_root, None)
    workspace: dict[str, MappingEntry] = {}
    workspace_errors: list[MappingFileError] = []
    if workspace_root is not None:
        root = workspace_root.resolve()
        workspace, workspace_errors = _load_source("workspace", root / WORKSPACE_MAPPINGS, root)
    entries = dict(shipped)
    for name, entry in workspace.items():
        replaced = entries.get(name)
        entries[name] = entry if replaced is None else MappingEntry(
            entry.mapping, entry.source, entry.path, entry.file, overrides=replaced.path)
    for error in workspace_errors:  # a broken override must not fall back to the shipped file silently
        if error.name is not None:
            entries.pop(error.name, None)
    errors = (*shipped_errors, *workspace_errors)
    if errors and not partial:
        raise config_error([p for e in errors for p in e.problems])
    return MappingRegistry(entries, errors)


def check_files(paths: Iterable[Path]) -> tuple[list[MappingEntry], list[MappingFileError]]:
    """Check the given files (``hub mappings validate FILE...``); duplicate names among them are errors too."""
    entries, errors = _load_files("workspace", [(p, str(p)) for p in paths])
    return list(entries.values()), errors


def _load_source(
    source: Source, folder: Path, relative_to: Path | None
) -> tuple[dict[str, MappingEntry], list[MappingFileError]]:
    files = []
    for path in mapping_files(folder):
        path = path.resolve()
        shown = str(path.relative_to(relative_to)) if relative_to and path.is_relative_to(relative_to) else str(path)
        files.append((path, shown))
    return _load_files(source, files)


def _load_files(
    source: Source, files: list[tuple[Path, str]]
) -> tuple[dict[str, MappingEntry], list[MappingFileError]]:
    loaded: dict[str, list[MappingEntry]] = {}
    errors: list[MappingFileError] = []
    for path, shown in files:
        spec, problems = read_spec(path, source_name=shown)
        if spec is None:
            errors.append(MappingFileError(source, path, shown, tuple(problems), _declared_name(path, shown)))
            continue
        loaded.setdefault(spec.name, []).append(MappingEntry(Mapping(spec), source, path, shown))
    entries: dict[str, MappingEntry] = {}
    for name, same in loaded.items():
        if len(same) == 1:
            entries[name] = same[0]
            continue
        for entry in same:
            others = ", ".join(o.file for o in same if o is not entry)
            problem = Problem(entry.file, _line_of_name(entry.path, entry.file), ("name",),
                              f"mapping name {name!r} is also used by {others}; names must be unique")
            errors.append(MappingFileError(source, entry.path, entry.file, (problem,), name))
    return entries, errors


def _declared_name(path: Path, shown: str) -> str | None:
    """The ``name:`` of a file that failed its checks, so a broken override is still known by name."""
    data = parse_yaml(path, source_name=shown, interpolate=False).data
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def _line_of_name(path: Path, shown: str) -> int | None:
    return parse_yaml(path, source_name=shown, interpolate=False).line_of(("name",))


class RegistryCache:
    """Reloads the registry (partially) only when a mapping file was added, removed or changed.

    With ``check_every``, the files are looked at no more often than that (seconds): for
    hot paths (a worker processing small batches), where a scan per call is most of the cost.
    """

    def __init__(self, shipped_dir: Path | None = None, *, check_every: float = 0.0) -> None:
        self._shipped_dir = shipped_dir
        self._cached: tuple[tuple[Any, ...], MappingRegistry] | None = None
        self._check_every = check_every
        self._checked: tuple[float, str] | None = None  # (monotonic time, workspace root) of the last look

    def get(self, workspace_root: Path | None) -> MappingRegistry:
        cached, checked, now = self._cached, self._checked, time.monotonic()
        if (cached is not None and checked is not None and checked[1] == str(workspace_root)
                and now - checked[0] < self._check_every):
            return cached[1]
        self._checked = (now, str(workspace_root))
        shipped = self._shipped_dir if self._shipped_dir is not None else shipped_mappings_dir()
        folders = [shipped] + ([workspace_root / WORKSPACE_MAPPINGS] if workspace_root is not None else [])
        key = (str(workspace_root), *(_fingerprint(p) for folder in folders for p in mapping_files(folder)))
        cached = self._cached  # one read and one write: safe to share between request threads
        if cached is not None and cached[0] == key:
            return cached[1]
        registry = load_registry(workspace_root, shipped_dir=shipped, partial=True)
        self._cached = (key, registry)
        return registry


def _fingerprint(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return (str(path), stat.st_mtime_ns, stat.st_size)


__all__ = [
    "MappingEntry",
    "MappingFileError",
    "MappingRegistry",
    "RegistryCache",
    "check_files",
    "load_registry",
    "mapping_files",
    "shipped_mappings_dir",
]
