"""The connectors hub.yaml configures, as listings show them: settings masked, never a secret."""

from __future__ import annotations

from typing import Any

from hub.errors import ConfigError, HubError
from hub.sdk.contract import SECRET_SUFFIXES
from hub.sdk.registry import connector_type
from hub.sync.plan import connector_config, connector_settings
from hub.workspace.loader import Workspace

MASK = "••••"


def connector_summary(workspace: Workspace, name: str) -> dict[str, Any]:
    """Name, type, system, whether the type is installed, masked settings, entities with mapping and schedule.

    ``settings_error`` says why the settings do not validate (the settings are then
    masked by name alone).
    """
    config = connector_config(workspace, name)
    installed = _installed(config.type)
    settings: dict[str, Any]
    error = None
    try:
        settings = connector_settings(workspace, name).masked() if installed else _masked_by_name(config.settings)
    except HubError as exc:
        settings, error = _masked_by_name(config.settings), exc.message
    if not installed:
        error = f"connector type {config.type!r} is not installed"
    return {
        "name": name,
        "type": config.type,
        "system": config.system_name,
        "installed": installed,
        "settings": settings,
        "settings_error": error,
        "entities": [
            {"entity": entity, "mapping": sync.mapping, "schedule": sync.schedule}
            for entity, sync in config.entities.items()
        ],
    }


def connector_summaries(workspace: Workspace) -> list[dict[str, Any]]:
    return [connector_summary(workspace, name) for name in workspace.config.connectors]


def _installed(type_name: str) -> bool:
    try:
        connector_type(type_name)
    except ConfigError:
        return False
    return True


def _masked_by_name(settings: dict[str, Any]) -> dict[str, Any]:
    secret = tuple(SECRET_SUFFIXES)
    return {k: (MASK if k.lower().endswith(secret) and v not in (None, "") else v) for k, v in settings.items()}
