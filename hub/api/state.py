"""What the app holds for its lifetime, kept on ``app.state.hub`` (no module globals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from hub.api.metrics import HubMetrics
from hub.background import Background
from hub.mapping.registry import RegistryCache
from hub.settings import Settings
from hub.store.rules import StoreRules


@dataclass(frozen=True)
class AppState:
    settings: Settings
    engine: Engine
    rules: StoreRules
    metrics: HubMetrics
    owns_engine: bool  # created by create_app, so disposed on shutdown
    mappings: RegistryCache = field(default_factory=RegistryCache)  # reloaded when a mapping file changes
    background: Background | None = None  # the worker and scheduler ``hub serve`` runs in the same process
