"""Subscriptions: create, change, rotate, enable and disable; secrets encrypted, shown once, masked after.

Every function runs in the caller's transaction. Secrets and headers are encrypted
with ``HUB_SECRET_KEY`` (:class:`~hub.security.secrets.SecretBox`); without a key no
subscription can be created (a signing secret must be kept, and never in plain text).
The URL is checked by the SSRF guard when saved (:func:`check_destination`) and again
on every connection.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpcore
from sqlalchemy import Connection, delete, insert, or_, select, update

from hub.db.types import iso_utc
from hub.errors import ConfigError, ConflictError, InvalidRequestError, NotFoundError
from hub.events.outbox import NewEvent, append_events
from hub.ids import new_id
from hub.security.secrets import SecretBox
from hub.security.ssrf import Network, check_url
from hub.workspace.config import SubscriptionConfig
from hub.workspace.secret_refs import is_credential_header
from webhooks.outbound.models import SubscriptionUpdate
from webhooks.outbound.tables import DELIVERIES, SUBSCRIPTIONS
from webhooks.signatures import new_secret, new_signing_key, secret_bytes

MASK = "********"
MASKED_SECRET = "whsec_" + MASK
CONFIG_FIELDS = ("url", "events", "description", "headers", "filter", "ordered", "concurrency", "ed25519")
"""What hub.yaml owns for its subscriptions (the API may only enable, disable and rotate those)."""

NO_KEY_HINT = (
    "set HUB_SECRET_KEY (generate one with: python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())') and keep it: stored webhook secrets cannot be read without it"
)


def require_box(box: SecretBox | None) -> SecretBox:
    if box is None:
        raise ConfigError(
            "outbound webhook secrets are stored encrypted, and HUB_SECRET_KEY is not set",
            details={"hint": NO_KEY_HINT},
        )
    return box


def check_destination(url: str, allowed: Sequence[Network] = ()) -> None:
    """The SSRF guard at save time: refuse a URL whose host resolves to a blocked address.

    Blocking; call it outside an event loop (route functions run in a thread).
    """
    try:
        asyncio.run(check_url(url, allowed))
    except httpcore.ConnectError as exc:
        raise InvalidRequestError(f"the webhook URL's host does not resolve: {exc}", details={"url": url}) from None


def valid_secret(secret: str) -> str:
    """A ``whsec_`` secret of 24 to 64 bytes, as Standard Webhooks asks."""
    try:
        size = len(secret_bytes(secret))
    except ConfigError as exc:
        raise InvalidRequestError(exc.message) from None
    if not 24 <= size <= 64:
        raise InvalidRequestError(f"a webhook secret is 24 to 64 random bytes; this one has {size}")
    return secret if secret.startswith("whsec_") else "whsec_" + secret


def find_subscription(conn: Connection, ref: str) -> dict[str, Any]:
    """A subscription by id (``sub_...``) or name."""
    row = conn.execute(
        select(SUBSCRIPTIONS).where(or_(SUBSCRIPTIONS.c.id == ref, SUBSCRIPTIONS.c.name == ref))
    ).mappings().first()
    if row is None:
        raise NotFoundError(f"no subscription {ref!r}")
    return dict(row)


def list_subscriptions(conn: Connection, box: SecretBox | None) -> list[dict[str, Any]]:
    rows = conn.execute(select(SUBSCRIPTIONS).order_by(SUBSCRIPTIONS.c.name)).mappings()
    return [subscription_document(dict(r), box) for r in rows]


def subscription_document(row: dict[str, Any], box: SecretBox | None) -> dict[str, Any]:
    """The subscription as shown: never the secret, never a credential header's value."""
    headers: dict[str, str] | None = None
    if box is not None:
        headers = {name: MASK if is_credential_header(name) else value
                   for name, value in decrypt_headers(row["headers"], box).items()}
    return {
        "id": row["id"], "name": row["name"], "url": row["url"], "events": list(row["events"]),
        "filter": row["filter"], "enabled": row["enabled"], "ordered": row["ordered"],
        "concurrency": row["concurrency"], "description": row["description"], "headers": headers,
        "secret": MASKED_SECRET, "previous_secret_expires_at": _iso(row["previous_secret_expires_at"]),
        "public_key": row["public_key"], "source": row["source"], "disabled_at": _iso(row["disabled_at"]),
        "disabled_reason": row["disabled_reason"], "failing_since": _iso(row["failing_since"]),
        "created_at": iso_utc(row["created_at"]), "updated_at": iso_utc(row["updated_at"]),
    }


def create_subscription(
    conn: Connection,
    box: SecretBox | None,
    name: str,
    spec: SubscriptionConfig,
    *,
    now: datetime,
    source: str = "api",
    disabled_reason: str | None = None,
) -> tuple[dict[str, Any], str]:
    """Insert a subscription; returns its document and its ``whsec_`` secret (to show once)."""
    box = require_box(box)
    if conn.execute(select(SUBSCRIPTIONS.c.id).where(SUBSCRIPTIONS.c.name == name)).first() is not None:
        raise ConflictError(f"a subscription named {name!r} already exists")
    secret = valid_secret(spec.secret.get_secret_value()) if spec.secret else new_secret()
    private, public = new_signing_key() if spec.ed25519 else (None, None)
    enabled = spec.enabled and disabled_reason is None
    values = {
        "id": new_id("sub"), "name": name, "url": spec.url, "events": list(spec.events), "filter": spec.filter,
        "enabled": enabled, "ordered": spec.ordered, "concurrency": spec.concurrency, "description": spec.description,
        "headers": encrypt_headers(spec.headers, box), "secret": box.encrypt(secret),
        "signing_key": box.encrypt(private) if private else None, "public_key": public, "source": source,
        "disabled_at": None if enabled else now,
        "disabled_reason": None if enabled else disabled_reason or _config_disabled(source),
        "created_at": now, "updated_at": now,
    }
    conn.execute(insert(SUBSCRIPTIONS).values(values))
    return subscription_document(find_subscription(conn, str(values["id"])), box), secret


def update_subscription(
    conn: Connection,
    box: SecretBox | None,
    ref: str,
    changes: SubscriptionUpdate,
    *,
    now: datetime,
    managed_by_config: bool = False,
) -> dict[str, Any]:
    """Apply the fields set in ``changes``. hub.yaml's subscriptions change only through hub.yaml."""
    row = find_subscription(conn, ref)
    given = changes.model_dump(exclude_unset=True)
    owned = sorted(set(given) & set(CONFIG_FIELDS))
    if row["source"] == "hub.yaml" and owned and not managed_by_config:
        raise ConflictError(
            f"subscription {row['name']!r} is defined in hub.yaml: change {', '.join(owned)} there "
            "(the API may only enable, disable and rotate its secret)"
        )
    values: dict[str, Any] = {}
    for field in ("url", "events", "description", "filter", "ordered", "concurrency"):
        if field in given:
            values[field] = given[field]
    if "headers" in given:
        values["headers"] = encrypt_headers(given["headers"] or {}, require_box(box))
    if "ed25519" in given and bool(given["ed25519"]) != (row["signing_key"] is not None):
        if given["ed25519"]:
            private, public = new_signing_key()
            values.update(signing_key=require_box(box).encrypt(private), public_key=public)
        else:
            values.update(signing_key=None, public_key=None)
    if given.get("enabled") is not None and given["enabled"] != row["enabled"]:
        values.update(_enabled_values(bool(given["enabled"]), now, "disabled through the API"))
    if values:
        values["updated_at"] = now
        conn.execute(update(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == row["id"]).values(values))
        row.update(values)
    return subscription_document(row, box)


def set_enabled(
    conn: Connection, box: SecretBox | None, ref: str, enabled: bool, *, now: datetime, reason: str | None = None
) -> dict[str, Any]:
    """Enable or disable. Disabling pauses delivery (pending deliveries wait); enabling resumes it."""
    row = find_subscription(conn, ref)
    if row["enabled"] != enabled or (not enabled and reason and reason != row["disabled_reason"]):
        values = {**_enabled_values(enabled, now, reason or "disabled by an admin"), "updated_at": now}
        conn.execute(update(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == row["id"]).values(values))
        row.update(values)
    return subscription_document(row, box)


def delete_subscription(conn: Connection, ref: str) -> dict[str, Any]:
    """Delete an API subscription with its deliveries and attempts; hub.yaml's are removed from hub.yaml."""
    row = find_subscription(conn, ref)
    if row["source"] == "hub.yaml":
        raise ConflictError(
            f"subscription {row['name']!r} is defined in hub.yaml: remove it there (it is then disabled, "
            "and its deliveries are kept)"
        )
    conn.execute(delete(DELIVERIES).where(DELIVERIES.c.subscription_id == row["id"]))
    conn.execute(delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == row["id"]))
    return row


def rotate_secret(
    conn: Connection,
    box: SecretBox | None,
    ref: str,
    *,
    overlap: timedelta,
    now: datetime,
    secret: str | None = None,
) -> tuple[dict[str, Any], str]:
    """A new secret (returned once); the current one keeps signing too for ``overlap``, new one first."""
    box = require_box(box)
    row = find_subscription(conn, ref)
    new = valid_secret(secret) if secret else new_secret()
    values: dict[str, Any] = {"secret": box.encrypt(new), "updated_at": now}
    if overlap > timedelta(0):
        values.update(previous_secret=row["secret"], previous_secret_expires_at=now + overlap)
    else:
        values.update(previous_secret=None, previous_secret_expires_at=None)
    conn.execute(update(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == row["id"]).values(values))
    row.update(values)
    return subscription_document(row, box), new


def disable_endpoint(conn: Connection, subscription_id: str, reason: str, *, now: datetime) -> bool:
    """The hub turns an endpoint off (410 Gone, or failing for too long): pending deliveries are cancelled
    and an ``endpoint.disabled`` event is written, which other subscriptions may receive. False if already off.
    """
    changed = conn.execute(
        update(SUBSCRIPTIONS)
        .where(SUBSCRIPTIONS.c.id == subscription_id, SUBSCRIPTIONS.c.enabled.is_(True))
        .values(enabled=False, disabled_at=now, disabled_reason=reason, updated_at=now)
    ).rowcount
    if changed != 1:
        return False
    conn.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.subscription_id == subscription_id, DELIVERIES.c.status == "pending")
        .values(status="cancelled", lease_owner=None, lease_until=None, updated_at=now,
                last_error=f"cancelled: the subscription was disabled ({reason})")
    )
    row = find_subscription(conn, subscription_id)
    data = {key: value for key, value in subscription_document(row, None).items() if key != "headers"}
    append_events(conn, [NewEvent("endpoint.disabled", "subscription", subscription_id, 1, data)], now=now)
    return True


@dataclass(frozen=True)
class Endpoint:
    """What a worker needs to send to a subscription, decrypted."""

    id: str
    name: str
    url: str
    headers: dict[str, str]
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    signing_key: str | None
    concurrency: int | None
    ordered: bool
    version: datetime  # updated_at: a changed subscription is decrypted again

    def secrets_at(self, when: datetime) -> list[str]:
        """The secrets that sign now: the current one first, then the previous one during the overlap."""
        if self.previous_secret and self.previous_secret_expires_at and when < self.previous_secret_expires_at:
            return [self.secret, self.previous_secret]
        return [self.secret]


def endpoint(row: dict[str, Any], box: SecretBox | None) -> Endpoint:
    box = require_box(box)
    return Endpoint(
        id=row["id"], name=row["name"], url=row["url"], headers=decrypt_headers(row["headers"], box),
        secret=box.decrypt(row["secret"]),
        previous_secret=box.decrypt(row["previous_secret"]) if row["previous_secret"] else None,
        previous_secret_expires_at=row["previous_secret_expires_at"],
        signing_key=box.decrypt(row["signing_key"]) if row["signing_key"] else None,
        concurrency=row["concurrency"], ordered=row["ordered"], version=row["updated_at"],
    )


def encrypt_headers(headers: dict[str, str], box: SecretBox) -> str | None:
    return box.encrypt(json.dumps(headers, ensure_ascii=False)) if headers else None


def decrypt_headers(token: str | None, box: SecretBox) -> dict[str, str]:
    if not token:
        return {}
    value = json.loads(box.decrypt(token))
    assert isinstance(value, dict)
    return {str(k): str(v) for k, v in value.items()}


def _enabled_values(enabled: bool, now: datetime, reason: str) -> dict[str, Any]:
    if enabled:
        return {"enabled": True, "disabled_at": None, "disabled_reason": None, "failing_since": None}
    return {"enabled": False, "disabled_at": now, "disabled_reason": reason}


def _config_disabled(source: str) -> str:
    return "disabled in hub.yaml" if source == "hub.yaml" else "created disabled"


def _iso(value: datetime | None) -> str | None:
    return iso_utc(value) if value is not None else None
