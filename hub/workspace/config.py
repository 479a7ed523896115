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
from datetime import UTC
from functools import cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from hub.store.entities import ENTITIES

DEFAULT_RETRY_SCHEDULE: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
"""Seconds to wait after each failed delivery attempt (about 3 days in all), then dead-letter."""

HUB_EVENT_TYPES: tuple[str, ...] = ("endpoint.disabled",)
"""Events about the hub itself (not a canonical record): a subscription the hub turned off."""

VERIFY_SCHEMES = ("standard-webhooks", "hmac-sha256", "api-key")
DEFAULT_VERIFY_HEADERS = {"hmac-sha256": "X-Signature", "api-key": "X-API-Key"}
"""The request header a scheme reads when ``verify.header`` is not given."""
DEFAULT_TOLERANCE = 300
"""Seconds a standard-webhooks ``webhook-timestamp`` may be away from now (as the reference libraries)."""
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
"""An inbound webhook body larger than this (1 MiB) is refused with 413, unless the source says otherwise."""

RESERVED_HEADERS = frozenset(
    {"webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "content-length", "host"}
)
"""Headers the hub sets on every outbound webhook; a subscription cannot override them."""

_RESOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_CONNECTOR_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_MAPPING_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_JSON_PATH = re.compile(r"\$(?:\.[^.\[\]\s]+|\[[0-9]+\])+")
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
    return (*types, *HUB_EVENT_TYPES)


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
        from hub.sync.schedules import cron_trigger  # what the scheduler accepts is what is valid

        try:
            cron_trigger(text, UTC)
        except ValueError as exc:
            raise _fail("schedule", f"invalid cron expression {text!r}: {exc}") from None
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
    # The crosswalk's name for this system (refs, lookups); two connections of one type that are
    # different systems (two Kingdee accounts) need different names. Defaults to the type.
    system: ConnectorType | None = None

    @property
    def system_name(self) -> str:
        return self.system or self.type


def _header_name(value: str) -> str:
    if not _HEADER_NAME.fullmatch(value):
        raise _fail("header", f"{value!r} is not a valid HTTP header name")
    return value


def _dedupe(value: str) -> str:
    if value.startswith("$"):
        if not _JSON_PATH.fullmatch(value):
            raise _fail("dedupe", "a JSON path is $ followed by .name or [index] parts, e.g. $.order_id or "
                                  "$.data.items[0].id")
        return value
    if not _HEADER_NAME.fullmatch(value):
        raise _fail("dedupe", "dedupe is a JSON path into the body ($.order_id) or a request header name "
                              "(X-GitHub-Delivery)")
    return value


# Which scheme each optional verify key belongs to (the key is refused with any other scheme).
_VERIFY_OPTIONS = {
    "encoding": ("hmac-sha256",),
    "prefix": ("hmac-sha256", "api-key"),
    "tolerance": ("standard-webhooks",),
}


class VerifyConfig(_Section):
    """How an inbound webhook proves it comes from the source."""

    scheme: Literal["standard-webhooks", "hmac-sha256", "api-key"]
    secret: Annotated[SecretStr, Field(min_length=1)]
    # During a rotation: the sender's old secret, still accepted until the sender has switched.
    previous_secret: SecretStr | None = None
    header: Annotated[str, AfterValidator(_header_name)] | None = None
    # hmac-sha256: how the digest is written in the header (GitHub: hex with prefix "sha256=").
    encoding: Literal["hex", "base64"] | None = None
    # hmac-sha256 and api-key: text before the signature or key in the header ("sha256=", "Bearer ").
    prefix: str | None = None
    # standard-webhooks: seconds the webhook-timestamp may be away from now.
    tolerance: Annotated[int, Field(strict=True, ge=1)] | None = None

    @model_validator(mode="after")
    def _options_fit_the_scheme(self) -> VerifyConfig:
        for option, schemes in _VERIFY_OPTIONS.items():
            if getattr(self, option) is not None and self.scheme not in schemes:
                raise _fail("verify_option", f"{option} applies to the {' and '.join(schemes)} scheme(s), "
                                             f"not {self.scheme}; remove it")
        return self

    @property
    def secrets(self) -> list[str]:
        """The secrets a request may be signed with: the current one, then the previous one."""
        previous = self.previous_secret.get_secret_value() if self.previous_secret is not None else ""
        return [self.secret.get_secret_value(), *([previous] if previous else [])]

    @property
    def effective_header(self) -> str | None:
        """The header carrying the signature or key (standard-webhooks uses its own three headers)."""
        return self.header or DEFAULT_VERIFY_HEADERS.get(self.scheme)

    @property
    def effective_encoding(self) -> Literal["hex", "base64"]:
        return self.encoding or "hex"

    @property
    def effective_tolerance(self) -> int:
        return self.tolerance or DEFAULT_TOLERANCE


class SourceConfig(_Section):
    """An inbound webhook source, received at ``/webhooks/in/<name>``."""

    verify: VerifyConfig
    mapping: MappingName
    # A JSON path into the body ($.order_id) or a header name whose value identifies a message:
    # a second message with the same value is a duplicate. standard-webhooks default: webhook-id.
    dedupe: Annotated[str, AfterValidator(_dedupe)] | None = None
    max_body_bytes: Annotated[int, Field(strict=True, ge=1, le=64 * 1024 * 1024)] = DEFAULT_MAX_BODY_BYTES


WebhookUrl = Annotated[str, AfterValidator(_webhook_url)]
WebhookHeaders = Annotated[dict[str, str], EmptyIfNone, AfterValidator(_header_names)]
EventFilter = Annotated[dict[str, Any], AfterValidator(_filter_values)]


class SubscriptionConfig(_Section):
    """An outbound webhook: events matching ``events`` (and ``filter``) are POSTed, signed, to ``url``."""

    url: WebhookUrl
    events: list[EventPattern] = Field(default_factory=list)  # none: only flows' webhook steps call it
    description: str | None = None
    enabled: bool = True
    headers: WebhookHeaders = Field(default_factory=dict, repr=False)  # may hold credentials
    filter: EventFilter | None = None
    ordered: bool = False  # a record's events go out one at a time, in event order
    concurrency: Annotated[int, Field(ge=1, le=256)] | None = None  # requests in flight; default webhooks.concurrency
    secret: SecretStr | None = None  # ${NAME} of a whsec_ secret; omitted: the hub generates one
    ed25519: bool = False  # also sign with an ed25519 key (v1a); its public key is shown


RetryDelay = Annotated[int, Field(strict=True, ge=1)]


class WebhooksConfig(_Section):
    """Outbound delivery policy."""

    retry_schedule: list[RetryDelay] = Field(default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE))
    concurrency: Annotated[int, Field(strict=True, ge=1, le=256)] = 4  # per subscription, across all workers
    rotation_overlap: Annotated[int, Field(strict=True, ge=0)] = 86400  # seconds the old secret still signs
    disable_after: Annotated[int, Field(strict=True, ge=60)] = 259200  # seconds of failing before auto-disable


class EntityIdentityConfig(_Section):
    """``identity.<entity>``: matching, survivorship and union for one entity (omitted keys keep the defaults)."""

    match: list[str] | None = None
    survivorship: Annotated[dict[str, list[str]], EmptyIfNone] = Field(default_factory=dict)
    union: list[str] | None = None


DEFAULT_DELETE_GUARD = 0.2
"""A full sync refuses to delete more than this share of a stream's live records without confirmation."""


class SyncConfig(_Section):
    """``sync:``: how the sync engine behaves for every connector."""

    delete_guard: Annotated[float, Field(ge=0, le=1)] = DEFAULT_DELETE_GUARD
    timezone: str | None = None  # for cron schedules; default: the server's local time zone

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise _fail("timezone", f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai") from None
        return value


Connectors = Annotated[dict[ResourceName, ConnectorConfig], EmptyIfNone]
Sources = Annotated[dict[ResourceName, SourceConfig], EmptyIfNone]
Subscriptions = Annotated[dict[ResourceName, SubscriptionConfig], EmptyIfNone]
Webhooks = Annotated[WebhooksConfig, EmptyIfNone]
Identity = Annotated[dict[EntityName, EntityIdentityConfig], EmptyIfNone]
Sync = Annotated[SyncConfig, EmptyIfNone]

SECTIONS: dict[str, Any] = {
    "connectors": Connectors,
    "sources": Sources,
    "subscriptions": Subscriptions,
    "webhooks": Webhooks,
    "identity": Identity,
    "sync": Sync,
}
"""Top-level key -> its type, validated one section at a time so every section's errors are reported."""


class WorkspaceConfig(_Section):
    """The whole of ``hub.yaml``; every section is optional."""

    connectors: Connectors = Field(default_factory=dict)
    sources: Sources = Field(default_factory=dict)
    subscriptions: Subscriptions = Field(default_factory=dict)
    webhooks: Webhooks = Field(default_factory=WebhooksConfig)
    identity: Identity = Field(default_factory=dict)
    sync: Sync = Field(default_factory=SyncConfig)
