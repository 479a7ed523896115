"""What a connector is: its settings, the streams it can pull, the actions it can push, a health check.

A connector is mostly declaration; the SDK does the repetitive parts (HTTP client,
error table, retries, rate limits, tokens) and the sync engine does paging state,
mapping, storage and quarantine::

    class KingdeeConnector(Connector):
        type = "kingdee"
        settings_model = KingdeeSettings
        streams = {"BD_Customer": StreamSpec("BD_Customer", "customer", cursor_field="FModifyDate")}
        actions = {"PRD_MO": ActionSpec("PRD_MO", "production_order")}

        async def check(self) -> Health: ...
        async def read(self, stream, state, *, full): ...   # yields Page(records, state)
        async def push(self, action, record, *, idempotency_key): ...
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr
from sqlalchemy import Engine

from hub.db.types import utcnow
from hub.errors import ConflictError
from hub.security.secrets import SecretBox

SECRET_SUFFIXES = ("secret", "password", "token", "aes_key")


class ConnectorSettings(BaseModel):
    """Base of every connector's settings (``connectors.<name>.settings`` in hub.yaml).

    Fields whose names end in secret, password, token or aes_key hold secrets: declare
    them as ``SecretStr`` so they never print; the console shows them masked.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str

    @classmethod
    def secret_fields(cls) -> tuple[str, ...]:
        return tuple(name for name in cls.model_fields if name.endswith(SECRET_SUFFIXES))

    def masked(self) -> dict[str, Any]:
        """The settings for display: secrets as ``••••`` plus their last 2 characters at most."""
        shown: dict[str, Any] = {}
        for name, value in self.model_dump().items():
            if name in self.secret_fields() and value is not None:
                raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
                shown[name] = "••••" + (raw[-2:] if len(raw) >= 12 else "")
            else:
                shown[name] = value
        return shown


SettingsT = TypeVar("SettingsT", bound=ConnectorSettings)


def settings_as(model: type[SettingsT], settings: ConnectorSettings) -> SettingsT:
    """``settings`` as the connector's own model (the hub may hand over a base-class instance)."""
    return settings if isinstance(settings, model) else model.model_validate(settings.model_dump())


@dataclass(frozen=True)
class StreamSpec:
    """Something a connector can pull: a vendor object, the entity it usually feeds, its change cursor."""

    object: str
    entity: str
    description: str = ""
    cursor_field: str | None = None  # None: full reads only
    detects_deletes: bool = True  # a full read lists every live record, so the missing ones were deleted
    # Records of this stream describe part of another object's records (receipts paying orders):
    # each attaches to the record the same system knows under this object and the same id.
    attach_to_object: str | None = None


@dataclass(frozen=True)
class ActionSpec:
    """Something a connector can push (create or update a vendor record, send a message)."""

    object: str
    entity: str | None = None
    description: str = ""


@dataclass
class StreamState:
    """Where a stream's last committed page left off (stored as JSON by the sync engine)."""

    cursor: Any = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"cursor": self.cursor, "data": self.data}

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> StreamState:
        value = value or {}
        return cls(value.get("cursor"), dict(value.get("data") or {}))


@dataclass
class Page:
    """Raw vendor records, and the stream state to save once they are committed."""

    records: list[dict[str, Any]]
    state: StreamState


@dataclass(frozen=True)
class PushResult:
    external_id: str
    created: bool  # False: the record already existed (an idempotent retry found it)
    raw: dict[str, Any] | None = None


@dataclass(frozen=True)
class Health:
    ok: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class ConnectorContext:
    """What the hub gives a connector instance."""

    name: str  # the connector's name in hub.yaml
    system: str  # the crosswalk's name for this system (defaults to the type)
    engine: Engine | None = None  # for the shared token cache
    secret_box: SecretBox | None = None
    transport: httpx.AsyncBaseTransport | None = None  # tests and simulators inject one
    clock: Callable[[], datetime] = utcnow
    timeout: float = 30.0


class Connector(ABC):
    type: ClassVar[str]
    settings_model: ClassVar[builtins.type[ConnectorSettings]]  # builtins: `type` is the attribute above
    streams: ClassVar[dict[str, StreamSpec]] = {}
    actions: ClassVar[dict[str, ActionSpec]] = {}

    def __init__(self, settings: ConnectorSettings, context: ConnectorContext) -> None:
        self.settings = settings
        self.context = context

    @abstractmethod
    async def check(self) -> Health:
        """One authenticated call: are the settings right and the system reachable?"""

    @abstractmethod
    def read(self, stream: str, state: StreamState, *, full: bool) -> AsyncIterator[Page]:
        """Pages of raw records changed since ``state`` (every record when ``full``)."""

    async def push(self, action: str, record: dict[str, Any], *, idempotency_key: str) -> PushResult:
        """Create or update a vendor record; a retry with the same key must not create a second one."""
        raise ConflictError(f"connector type {type(self).type} has no push action {action!r}",
                            details={"actions": sorted(self.actions)})

    async def fetch(self, stream: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The current raw records of ``stream`` with these ids (records not found are left out).

        Used when a vendor callback says records changed: the hub fetches them and lands them
        like a sync page. Default: not supported.
        """
        raise ConflictError(f"connector type {type(self).type} cannot fetch records of stream {stream!r} by id",
                            details={"streams": sorted(self.streams)})

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release clients and sessions."""
