"""The shape of ``hub.yaml``: one strict pydantic model per section.

Unknown keys are errors (``extra="forbid"``); checks that need no context (names,
entities, event patterns, URLs) live on the types here. Checks that relate one part
of the file to another (identity fields per entity, secrets) are in
:mod:`hub.workspace.identity` and :mod:`hub.workspace.secret_refs`;
:mod:`hub.workspace.loader` runs them all and reports every error with its line.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from functools import cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, SecretStr
from pydantic_core import PydanticCustomError

from hub.store.entities import ENTITIES

DEFAULT_RETRY_SCHEDULE: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
"""Seconds to wait after each failed delivery attempt (about 3 days in all), then dead-letter."""

VERIFY_SCHEMES = ("standard-webhooks", "hmac-sha256", "api-key")
DEFAULT_VERIFY_HEADERS = {"hmac-sha256": "X-Signature", "api-key": "X-API-Key"}
"""The request header a scheme reads when ``verify.header`` is not given."""

RESERVED_HEADERS = frozenset(
    {"webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "content-length", "host"}
)
"""Headers the hub sets on every outbound webhook; a subscription cannot override them."""

_RESOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_CONNECTOR_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_MAPPING_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_EVERY = re.compile(r"every\s+([1-9][0-9]*)\s*(s|m|h|d)", re.IGNORECASE)
_CRON_FIELD = re.compile(r"[0-9A-Za-z*/,?-]+")


def did_you_mean(value: str, choices: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'type'?)`` for a near miss, else ``""``."""
    close = difflib.get_close_matches(value, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


@cache
def known_event_types() -> tuple[str, ...]:
    """Every event type the store fires: ``<entity>.created|updated|deleted|merged`` and the transitions."""
    types: list[str] = []
    for entity in ENTITIES.values():
        types += [f"{entity.name}.{change}" for change in ("created", "updated", "deleted", "merged")]
        types += [t for by_value in entity.transitions.values() for t in by_value.values() if t not in types]
    return tuple(types)


def _fail(kind: str, message: str) -> PydanticCustomError:
    # The message goes in through the context so braces in it (``${NAME}``) are not read as placeholders.
    return PydanticCustomError(kind, "{message}", {"message": message})


def _resource_name(value: str) -> str:
    if not _RESOURCE_NAME.fullmatch(value):
        raise _fail(
            "resource_name",
            "names use lowercase letters, digits, '-' and '_' (at most 63; they appear in URLs and commands)",
        )
    return value


def _connector_type(value: str) -> str:
    if not _CONNECTOR_TYPE.fullmatch(value):
        raise _fail("connector_type", "a connector type is one word, such as kingdee, wecom or mail")
    return value


def _mapping_name(value: str) -> str:
    if not _MAPPING_NAME.fullmatch(value):
        raise _fail("mapping_name", "a mapping is named by its `name:` (letters, digits, '.', '-', '_')")
    return value


def _entity_name(value: str) -> str:
    if value not in ENTITIES:
        raise _fail(
            "unknown_entity",
            f"unknown entity {value!r}{did_you_mean(value, tuple(ENTITIES))}; known: {', '.join(ENTITIES)}",
        )
    return value


def _schedule(value: str) -> str:
    text = value.strip()
    if _EVERY.fullmatch(text):
        return text
    fields = text.split()
    if len(fields) == 5 and all(_CRON_FIELD.fullmatch(f) for f in fields):
        return text
    raise _fail(
        "schedule",
        "a schedule is 'every <n><s|m|h|d>' (e.g. 'every 2m') or a 5-field cron expression (e.g. '*/10 * * * *')",
    )


def _event_pattern(value: str) -> str:
    known = known_event_types()
    if any(c in value for c in "*?["):
        if not any(fnmatch.fnmatchcase(t, value) for t in known):
            raise _fail("event_pattern", f"{value!r} matches no event type")
        return value
    if value not in known:
        raise _fail(
            "event_pattern",
            f"unknown event type {value!r}{did_you_mean(value, known)}; "
            "use <entity>.created|updated|deleted|merged, a transition such as order.confirmed, or a pattern 'order.*'",
        )
    return value


def _webhook_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _fail("url", "expected an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise _fail("url", "do not put credentials in the URL; send them in `headers` with a ${NAME} reference")
    return value


def _header_names(value: dict[str, str]) -> dict[str, str]:
    for name in value:
        if not _HEADER_NAME.fullmatch(name):
            raise _fail("header", f"{name!r} is not a valid HTTP header name")
        if name.lower() in RESERVED_HEADERS:
            raise _fail("header", f"{name} is set by the hub and cannot be overridden")
    return value


def _filter_values(value: dict[str, Any]) -> dict[str, Any]:
    scalar = (str, int, float, bool, type(None))
    for name, wanted in value.items():
        items = wanted if isinstance(wanted, list) else [wanted]
        if not all(isinstance(item, scalar) for item in items):
            raise _fail("filter", f"{name}: expected a value or a list of values")
    return value


def _none_is_empty(value: Any) -> Any:
    return {} if value is None else value


ResourceName = Annotated[str, AfterValidator(_resource_name)]
ConnectorType = Annotated[str, AfterValidator(_connector_type)]
MappingName = Annotated[str, AfterValidator(_mapping_name)]
EntityName = Annotated[str, AfterValidator(_entity_name)]
Schedule = Annotated[str, AfterValidator(_schedule)]
EventPattern = Annotated[str, AfterValidator(_event_pattern)]
EmptyIfNone = BeforeValidator(_none_is_empty)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EntitySync(_Section):
    """What to pull for one canonical entity: with which mapping, how often (omit for manual sync only)."""

    mapping: MappingName
    schedule: Schedule | None = None


class ConnectorConfig(_Section):
    """A connection to one system (``connectors.<name>``)."""

    type: ConnectorType
    settings: Annotated[dict[str, Any], EmptyIfNone] = Field(default_factory=dict, repr=False)  # holds secrets
    entities: Annotated[dict[EntityName, EntitySync], EmptyIfNone] = Field(default_factory=dict)


class VerifyConfig(_Section):
    """How an inbound webhook proves it comes from the source."""

    scheme: Literal["standard-webhooks", "hmac-sha256", "api-key"]
    secret: Annotated[SecretStr, Field(min_length=1)]
    header: str | None = None

    @property
    def effective_header(self) -> str | None:
        """The header carrying the signature or key (standard-webhooks uses its own three headers)."""
        return self.header or DEFAULT_VERIFY_HEADERS.get(self.scheme)


class SourceConfig(_Section):
    """An inbound webhook source, received at ``/webhooks/in/<name>``."""

    verify: VerifyConfig
    mapping: MappingName


class SubscriptionConfig(_Section):
    """An outbound webhook: events matching ``events`` (and ``filter``) are POSTed, signed, to ``url``."""

    url: Annotated[str, AfterValidator(_webhook_url)]
    events: list[EventPattern] = Field(min_length=1)
    description: str | None = None
    enabled: bool = True
    headers: Annotated[dict[str, str], EmptyIfNone, AfterValidator(_header_names)] = Field(
        default_factory=dict, repr=False  # may hold credentials
    )
    filter: Annotated[dict[str, Any], AfterValidator(_filter_values)] | None = None


RetryDelay = Annotated[int, Field(strict=True, ge=1)]


class WebhooksConfig(_Section):
    """Outbound delivery policy."""

    retry_schedule: list[RetryDelay] = Field(default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE))


class EntityIdentityConfig(_Section):
    """``identity.<entity>``: matching, survivorship and union for one entity (omitted keys keep the defaults)."""

    match: list[str] | None = None
    survivorship: Annotated[dict[str, list[str]], EmptyIfNone] = Field(default_factory=dict)
    union: list[str] | None = None


Connectors = Annotated[dict[ResourceName, ConnectorConfig], EmptyIfNone]
Sources = Annotated[dict[ResourceName, SourceConfig], EmptyIfNone]
Subscriptions = Annotated[dict[ResourceName, SubscriptionConfig], EmptyIfNone]
Webhooks = Annotated[WebhooksConfig, EmptyIfNone]
Identity = Annotated[dict[EntityName, EntityIdentityConfig], EmptyIfNone]

SECTIONS: dict[str, Any] = {
    "connectors": Connectors,
    "sources": Sources,
    "subscriptions": Subscriptions,
    "webhooks": Webhooks,
    "identity": Identity,
}
"""Top-level key -> its type, validated one section at a time so every section's errors are reported."""


class WorkspaceConfig(_Section):
    """The whole of ``hub.yaml``; every section is optional."""

    connectors: Connectors = Field(default_factory=dict)
    sources: Sources = Field(default_factory=dict)
    subscriptions: Subscriptions = Field(default_factory=dict)
    webhooks: Webhooks = Field(default_factory=WebhooksConfig)
    identity: Identity = Field(default_factory=dict)
