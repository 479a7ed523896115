"""The shapes subscriptions and deliveries take in the API and the CLI (inputs validated like hub.yaml)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from hub.workspace.config import (
    EventFilter,
    EventPattern,
    ResourceName,
    SubscriptionConfig,
    WebhookHeaders,
    WebhookUrl,
)


class SubscriptionCreate(SubscriptionConfig):
    """A new subscription. Without ``secret`` the hub generates one and returns it once."""

    name: ResourceName


class SubscriptionUpdate(BaseModel):
    """The fields to change; omitted fields keep their value, ``null`` clears the optional ones."""

    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl | None = None
    events: Annotated[list[EventPattern], Field(min_length=1)] | None = None
    description: str | None = None
    enabled: bool | None = None
    headers: WebhookHeaders | None = Field(default=None, repr=False)
    filter: EventFilter | None = None
    ordered: bool | None = None
    concurrency: Annotated[int, Field(ge=1, le=256)] | None = None
    ed25519: bool | None = None


class RotateSecret(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap_seconds: Annotated[int, Field(ge=0, le=30 * 86400)] | None = Field(
        default=None, description="How long the old secret keeps signing too (default webhooks.rotation_overlap)."
    )
    secret: SecretStr | None = Field(default=None, description="The new whsec_ secret; omitted: generated.")


class SubscriptionPublic(BaseModel):
    """A subscription as shown: the secret masked, credential headers masked."""

    id: str
    name: str
    url: str
    events: list[str]
    filter: dict[str, Any] | None
    enabled: bool
    ordered: bool
    concurrency: int | None
    description: str | None
    headers: dict[str, str] | None = Field(description="Credential headers masked; null when HUB_SECRET_KEY is unset.")
    secret: str = Field(description="Always masked: the secret is shown once, when created or rotated.")
    previous_secret_expires_at: str | None = Field(description="Until then the previous secret signs too.")
    public_key: str | None = Field(description="whpk_ ed25519 key that verifies v1a signatures.")
    source: str
    disabled_at: str | None
    disabled_reason: str | None
    failing_since: str | None
    created_at: str
    updated_at: str


class SubscriptionWithSecret(SubscriptionPublic):
    """Returned by create and rotate only: ``signing_secret`` is shown this once."""

    signing_secret: str = Field(description="The whsec_ secret. Store it now: it is never shown again.")


class SubscriptionList(BaseModel):
    items: list[SubscriptionPublic]


class AttemptPublic(BaseModel):
    attempt: int
    started_at: str
    latency_ms: int
    status_code: int | None
    response_body: str | None
    error: str | None
    worker: str | None


class DeliveryPublic(BaseModel):
    id: str
    subscription_id: str
    subscription: str | None
    webhook_id: str = Field(description="The event id: the same on every retry and replay.")
    event_seq: int
    event_type: str
    record_id: str
    status: str
    attempts: int
    next_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    created_at: str
    updated_at: str
    delivered_at: str | None
    replayed_at: str | None


class DeliveryDetail(DeliveryPublic):
    body: str | None = Field(description="The JSON body sent (null once removed by retention).")
    attempt_log: list[AttemptPublic]


class DeliveryPage(BaseModel):
    items: list[DeliveryPublic]
    next_before: str | None = Field(description="Pass as ?before= for the next (older) page.")


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[str] | None = Field(default=None, description="Deliveries to send again.")
    status: str | None = Field(default=None, description="Or every delivery in this status (dead, cancelled).")
    subscription: str | None = Field(default=None, description="With status: only this subscription's.")


class ReplayResult(BaseModel):
    replayed: list[str]
