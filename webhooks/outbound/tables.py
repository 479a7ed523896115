"""The tables of outbound webhooks: subscriptions, their deliveries, and every attempt at one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from hub.db.types import UTCDateTime, json_type

DELIVERY_STATUSES = ("pending", "succeeded", "dead", "cancelled")
SOURCES = ("hub.yaml", "api")


class SubscriptionRow(SQLModel, table=True):
    """A downstream endpoint and the events it wants. Secrets and headers are encrypted (HUB_SECRET_KEY)."""

    __tablename__ = "subscriptions"

    id: str = Field(primary_key=True, sa_type=String(40))
    name: str = Field(sa_type=String(63), unique=True)
    url: str = Field(sa_type=Text)
    events: list[str] = Field(sa_type=json_type(), description="Event types or patterns (order.*).")
    filter: dict[str, Any] | None = Field(default=None, sa_type=json_type(), description="field -> value(s).")
    enabled: bool = Field(default=True)
    ordered: bool = Field(default=False, description="Deliver each record's events one at a time, in order.")
    concurrency: int | None = Field(default=None, description="Requests in flight at once; None: the default.")
    description: str | None = Field(default=None, sa_type=Text)
    headers: str | None = Field(default=None, sa_type=Text, description="Encrypted JSON object of extra headers.")
    secret: str = Field(sa_type=Text, description="Encrypted whsec_ secret.")
    previous_secret: str | None = Field(default=None, sa_type=Text, description="Encrypted; signs until expiry.")
    previous_secret_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    signing_key: str | None = Field(default=None, sa_type=Text, description="Encrypted whsk_ ed25519 key (v1a).")
    public_key: str | None = Field(default=None, sa_type=String(80), description="whpk_ key receivers verify with.")
    source: str = Field(sa_type=String(20), description="hub.yaml or api.")
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_reason: str | None = Field(default=None, sa_type=Text)
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class DeliveryRow(SQLModel, table=True):
    """One event to send to one subscription, until it succeeds, dies or is cancelled.

    ``body`` is the exact JSON sent on every attempt (retention may clear it once
    succeeded). While a worker holds it, ``lease_until`` is in the future and
    ``next_attempt_at`` equals it, so an abandoned delivery becomes due again by itself.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_subscription_due", "subscription_id", "status", "next_attempt_at"),
        Index("ix_deliveries_record_order", "subscription_id", "record_id", "event_seq"),
        Index("ix_deliveries_lease", "lease_until"),
        Index("ix_deliveries_event", "event_id"),
    )

    id: str = Field(primary_key=True, sa_type=String(40))
    subscription_id: str = Field(
        sa_column=Column(String(40), ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False)
    )
    event_id: str = Field(sa_type=String(40), description="The webhook-id, stable across retries and replays.")
    event_seq: int = Field(sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), nullable=False))
    event_type: str = Field(sa_type=String(80))
    record_id: str = Field(sa_type=String(40))
    body: str | None = Field(default=None, sa_type=Text, description="The exact JSON body signed and sent.")
    status: str = Field(default="pending", sa_type=String(20))
    attempts: int = Field(default=0, description="Attempts since creation or the last replay.")
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, sa_type=String(100))
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    replayed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeliveryAttemptRow(SQLModel, table=True):
    """One HTTP request made for a delivery, whatever its outcome."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (
        Index("ix_delivery_attempts_delivery", "delivery_id"),
        Index("ix_delivery_attempts_started", "started_at"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    delivery_id: str = Field(
        sa_column=Column(String(40), ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False)
    )
    attempt: int
    started_at: datetime = Field(sa_type=UTCDateTime)
    latency_ms: int
    status_code: int | None = Field(default=None)
    response_body: str | None = Field(default=None, sa_type=Text, description="The first kilobyte or so.")
    error: str | None = Field(default=None, sa_type=Text)
    worker: str | None = Field(default=None, sa_type=String(100))


SUBSCRIPTIONS = SubscriptionRow.__table__  # type: ignore[attr-defined]
DELIVERIES = DeliveryRow.__table__  # type: ignore[attr-defined]
ATTEMPTS = DeliveryAttemptRow.__table__  # type: ignore[attr-defined]
