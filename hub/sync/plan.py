"""From hub.yaml to a sync: the connector instance, and which stream and mapping an entity uses.

Everything an admin can get wrong here (an unknown connector or type, bad settings, a
mapping for another system, a stream the connector does not have) is reported before
anything is read, naming the file and line where that helps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from pydantic import ValidationError
from sqlalchemy import Engine

from hub.errors import ConfigError, NotFoundError
from hub.mapping.mapping import Mapping
from hub.mapping.registry import MappingRegistry
from hub.sdk.contract import Connector, ConnectorContext, ConnectorSettings, StreamSpec
from hub.sdk.registry import connector_type
from hub.security.secrets import SecretBox
from hub.workspace.config import ConnectorConfig, did_you_mean
from hub.workspace.loader import CONFIG_FILE, Workspace, workspace_environment
from hub.workspace.schema_errors import validation_problems
from hub.workspace.yamlfile import Problem, config_error, parse_yaml


@dataclass(frozen=True)
class StreamPlan:
    """What syncing one entity of one connector reads, and how it becomes canonical."""

    connector: str  # the name in hub.yaml
    connector_type: str
    system: str  # the crosswalk's name for the system
    entity: str
    stream: str  # the key in the connector's ``streams``
    spec: StreamSpec
    mapping: Mapping

    @property
    def object(self) -> str:
        return self.spec.object


def connector_config(workspace: Workspace, name: str) -> ConnectorConfig:
    connectors = workspace.config.connectors
    if name not in connectors:
        hint = did_you_mean(name, tuple(connectors)) or (
            f"; configured: {', '.join(sorted(connectors))}" if connectors else "; hub.yaml has no connectors")
        raise NotFoundError(f"no connector named {name!r} in {CONFIG_FILE}{hint}")
    return connectors[name]


def connector_class(workspace: Workspace, name: str) -> type[Connector]:
    config = connector_config(workspace, name)
    try:
        return connector_type(config.type)
    except ConfigError as exc:
        raise ConfigError(f"{CONFIG_FILE}: connectors.{name}.type: {exc.message}", details=exc.details) from None


def connector_settings(workspace: Workspace, name: str) -> ConnectorSettings:
    """The connector's settings, validated by its type; a ConfigError lists each problem with its line."""
    cls = connector_class(workspace, name)
    config = connector_config(workspace, name)
    try:
        return cls.settings_model.model_validate(config.settings)
    except ValidationError as exc:
        raise config_error(_settings_problems(workspace, name, cls, exc)) from None


def _settings_problems(workspace: Workspace, name: str, cls: type[Connector], exc: ValidationError) -> list[Problem]:
    base = ("connectors", name, "settings")
    if not workspace.config_file.is_file():  # a workspace built in code: no lines to point at
        return [Problem(CONFIG_FILE, None, base + tuple(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
    # Re-read only on this error path: the loaded workspace keeps values, not lines.
    loaded = parse_yaml(workspace.config_file, source_name=CONFIG_FILE, env=workspace_environment(workspace.root))
    return validation_problems(loaded, exc, root=cls.settings_model, base=base)


def secret_box(secret_key: str | None) -> SecretBox | None:
    """Encrypts shared tokens at rest; without HUB_SECRET_KEY tokens stay in each process's memory."""
    return SecretBox(secret_key) if secret_key else None


def build_connector(
    workspace: Workspace,
    name: str,
    *,
    engine: Engine | None = None,
    secrets: SecretBox | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Connector:
    """A ready connector instance for ``connectors.<name>`` (close it with ``aclose()``)."""
    cls = connector_class(workspace, name)
    settings = connector_settings(workspace, name)
    config = connector_config(workspace, name)
    context = ConnectorContext(name=name, system=config.system_name, engine=engine, secret_box=secrets,
                               transport=transport)
    return cls(settings, context)


def entities_of(workspace: Workspace, name: str, entity: str | None = None) -> list[str]:
    """The entities to sync: the one asked for (which must be configured), or all, in hub.yaml's order."""
    config = connector_config(workspace, name)
    if entity is None:
        if not config.entities:
            raise ConfigError(f"{CONFIG_FILE}: connectors.{name}.entities is empty: nothing to sync",
                              details={"hint": "add e.g. customer: {mapping: <mapping name>}"})
        return list(config.entities)
    if entity not in config.entities:
        hint = did_you_mean(entity, tuple(config.entities))
        raise NotFoundError(
            f"connector {name} does not sync {entity!r}{hint}; configured: {', '.join(config.entities) or 'none'}",
        )
    return [entity]


def plan_stream(workspace: Workspace, registry: MappingRegistry, name: str, entity: str) -> StreamPlan:
    """The stream and mapping syncing ``entity`` of connector ``name`` uses."""
    config = connector_config(workspace, name)
    [entity] = entities_of(workspace, name, entity)
    mapping_name = config.entities[entity].mapping
    where = f"{CONFIG_FILE}: connectors.{name}.entities.{entity}.mapping"
    try:
        mapping = registry.get(mapping_name).mapping
    except NotFoundError as exc:
        raise ConfigError(f"{where}: {exc.message}") from None
    if mapping.entity != entity:
        raise ConfigError(f"{where}: mapping {mapping_name} produces {mapping.entity} records, not {entity}")
    if mapping.system != config.type:
        raise ConfigError(f"{where}: mapping {mapping_name} reads {mapping.system} records, "
                          f"but connector {name} is of type {config.type}")
    cls = connector_class(workspace, name)
    stream = _stream_for(cls.streams, mapping.object)
    if stream is None:
        objects = ", ".join(sorted(spec.object for spec in cls.streams.values())) or "none"
        raise ConfigError(f"{where}: mapping {mapping_name} reads {mapping.object}, which connector type "
                          f"{config.type} cannot pull (its streams: {objects})")
    return StreamPlan(name, config.type, config.system_name, entity, stream, cls.streams[stream], mapping)


def _stream_for(streams: dict[str, StreamSpec], obj: str) -> str | None:
    matches: Sequence[str] = [key for key, spec in streams.items() if spec.object == obj]
    return matches[0] if matches else None
