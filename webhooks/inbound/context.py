"""What processing and receiving read from the workspace, reloaded only when its files change.

Loading ``hub.yaml`` parses and checks the whole file, so it is not done per request:
the cache keeps the loaded workspace until ``hub.yaml`` or ``.env`` changes. A file
that turns invalid while the hub runs keeps the last good configuration in force
(and is logged), so a typo does not turn every webhook away.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hub.db.types import utcnow
from hub.errors import ConfigError
from hub.mapping.registry import MappingRegistry, RegistryCache
from hub.workspace.config import SourceConfig
from hub.workspace.loader import CONFIG_FILE, Workspace, load_workspace
from webhooks.inbound.errors import UnknownSourceError

log = logging.getLogger(__name__)

CHECK_EVERY = 1.0  # seconds between looks at the files' modification times


class WorkspaceCache:
    """The workspace at ``root``, loaded again when ``hub.yaml`` or ``.env`` changed (looked at once a second)."""

    def __init__(self, root: Path, *, check_every: float = CHECK_EVERY) -> None:
        self.root = Path(root)
        self.check_every = check_every
        self._cached: tuple[tuple[object, ...], Workspace] | None = None
        self._checked_at = -check_every

    def get(self) -> Workspace:
        cached = self._cached  # one read and one write: safe to share between threads
        now = time.monotonic()
        if cached is not None and now - self._checked_at < self.check_every:
            return cached[1]
        self._checked_at = now
        key = (_fingerprint(self.root / CONFIG_FILE), _fingerprint(self.root / ".env"))
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            workspace = load_workspace(self.root)
        except ConfigError as exc:
            if cached is None:
                raise
            log.warning("hub.yaml changed but does not load; inbound keeps the last good configuration: %s",
                        exc.message)
            self._cached = (key, cached[1])
            return cached[1]
        self._cached = (key, workspace)
        return workspace

    def source(self, name: str) -> SourceConfig:
        """The source called ``name``; UnknownSourceError (404) when hub.yaml has none."""
        source = self.get().config.sources.get(name)
        if source is None:
            raise UnknownSourceError(f"no inbound source {name!r}: add it under sources: in hub.yaml")
        return source


def _fingerprint(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


@dataclass(frozen=True)
class ProcessingContext:
    """What a processor needs besides the messages: the workspace, its mappings, and the time of the batch."""

    workspace: Workspace
    mappings: MappingRegistry
    now: datetime


class Contexts:
    """Builds a :class:`ProcessingContext` per batch from the cached workspace and mappings."""

    def __init__(self, root: Path, *, workspace: WorkspaceCache | None = None,
                 mappings: RegistryCache | None = None) -> None:
        self.workspace = workspace if workspace is not None else WorkspaceCache(root)
        self.mappings = mappings if mappings is not None else RegistryCache()

    def get(self) -> ProcessingContext:
        workspace = self.workspace.get()
        return ProcessingContext(workspace, self.mappings.get(workspace.root), utcnow())
