"""Connector types, found through the ``hub.connectors`` entry points (the built-ins register there too)."""

from __future__ import annotations

import difflib
from functools import cache
from importlib.metadata import entry_points

from hub.errors import ConfigError
from hub.sdk.contract import Connector

GROUP = "hub.connectors"


@cache
def connector_types() -> dict[str, type[Connector]]:
    """``type name -> Connector class`` for every installed connector package."""
    found: dict[str, type[Connector]] = {}
    for entry in entry_points(group=GROUP):
        cls = entry.load()
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise ConfigError(f"entry point {entry.name} = {entry.value} in {GROUP} is not a Connector class")
        if entry.name != cls.type:
            raise ConfigError(f"entry point {entry.name} points at a connector of type {cls.type!r}")
        found[entry.name] = cls
    return found


def connector_type(name: str) -> type[Connector]:
    types = connector_types()
    if name not in types:
        close = difflib.get_close_matches(name, list(types), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"unknown connector type {name!r}{hint}; installed: {', '.join(sorted(types)) or 'none'}",
            details={"installed": sorted(types)},
        )
    return types[name]
