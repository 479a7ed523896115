"""Standard Webhooks v1: signing (symmetric ``v1``, asymmetric ``v1a``) and verification. Pure functions.

Signed content: ``f"{webhook_id}.{webhook_timestamp}.".encode() + body`` over the exact
body bytes. ``webhook-signature`` is a space-separated list of ``v1,<base64>`` (and/or
``v1a,<base64>``); a receiver accepts any match, which is how secret rotation works.
Secrets are ``whsec_`` + base64 of 24 to 64 random bytes; ed25519 keys are ``whsk_``
(private, the 32-byte seed) and ``whpk_`` (public).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as random_source
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hub.errors import ConfigError, UnauthorizedError

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
PRIVATE_PREFIX = "whsk_"
PUBLIC_PREFIX = "whpk_"
DEFAULT_TOLERANCE = 300  # seconds, as the reference libraries


class SignatureError(UnauthorizedError):
    """A webhook whose signature, timestamp or headers do not check out."""

    code = "invalid_signature"


def new_secret(size: int = 32) -> str:
    """A fresh ``whsec_`` secret (shown to the user once)."""
    if not 24 <= size <= 64:
        raise ValueError("Standard Webhooks secrets are 24 to 64 bytes")
    return SECRET_PREFIX + base64.b64encode(random_source.token_bytes(size)).decode()


def secret_bytes(secret: str) -> bytes:
    """The key bytes of a ``whsec_`` secret (the prefix is optional, as in the reference libraries)."""
    text = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("a webhook secret is whsec_ followed by base64") from None
    if not key:
        raise ConfigError("a webhook secret may not be empty")
    return key


def new_signing_key() -> tuple[str, str]:
    """A fresh ed25519 pair for ``v1a``: (``whsk_`` private, ``whpk_`` public)."""
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PRIVATE_PREFIX + base64.b64encode(seed).decode(), PUBLIC_PREFIX + base64.b64encode(public).decode()


def _content(webhook_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{webhook_id}.{timestamp}.".encode() + body


def sign_v1(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret_bytes(secret), _content(webhook_id, timestamp, body), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign_v1a(private_key: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    seed = base64.b64decode(private_key.removeprefix(PRIVATE_PREFIX))[:32]
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(_content(webhook_id, timestamp, body))
    return "v1a," + base64.b64encode(signature).decode()


def signature_header(
    webhook_id: str, timestamp: int, body: bytes, *, secrets: Iterable[str] = (), private_keys: Iterable[str] = ()
) -> str:
    """``webhook-signature``: one signature per active secret (several while a rotation overlaps)."""
    parts = [sign_v1(s, webhook_id, timestamp, body) for s in secrets]
    parts += [sign_v1a(k, webhook_id, timestamp, body) for k in private_keys]
    if not parts:
        raise ConfigError("a webhook needs at least one secret to be signed")
    return " ".join(parts)


@dataclass(frozen=True)
class Verified:
    webhook_id: str
    timestamp: int


def verify(
    headers: Mapping[str, str],
    body: bytes,
    *,
    secrets: Iterable[str] = (),
    public_keys: Iterable[str] = (),
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Verified:
    """Check a received webhook; raise SignatureError saying what is wrong. Comparisons are constant-time."""
    lowered = {k.lower(): v for k, v in headers.items()}
    webhook_id = lowered.get("webhook-id", "")
    raw_timestamp = lowered.get("webhook-timestamp", "")
    header = lowered.get("webhook-signature", "")
    missing = [name for name, value in (("webhook-id", webhook_id), ("webhook-timestamp", raw_timestamp),
                                        ("webhook-signature", header)) if not value]
    if missing:
        raise SignatureError(f"missing header(s): {', '.join(missing)}")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a Unix time in seconds") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError(
            f"webhook-timestamp is {int(current - timestamp)} s away from now (more than {tolerance} s): "
            "a replay, or the sender's clock is wrong"
        )
    content = _content(webhook_id, timestamp, body)
    expected = [hmac.new(secret_bytes(s), content, hashlib.sha256).digest() for s in secrets]
    keys = [Ed25519PublicKey.from_public_bytes(base64.b64decode(k.removeprefix(PUBLIC_PREFIX))) for k in public_keys]
    for part in header.split():
        version, _, encoded = part.partition(",")
        try:
            given = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if version == "v1" and any(hmac.compare_digest(given, digest) for digest in expected):
            return Verified(webhook_id, timestamp)
        if version == "v1a":
            for key in keys:
                try:
                    key.verify(given, content)
                except InvalidSignature:
                    continue
                return Verified(webhook_id, timestamp)
    raise SignatureError("no signature matches (wrong secret, or the body was changed on the way)")
