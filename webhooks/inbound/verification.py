"""Checking that an inbound request comes from its source: one function per ``verify.scheme``. Pure.

- ``standard-webhooks``: ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``,
  checked by :func:`webhooks.signatures.verify` (timestamp within ``tolerance``).
- ``hmac-sha256``: HMAC-SHA256 of the raw body with the secret, written in ``header`` as
  ``prefix`` + hex or base64 (GitHub: ``X-Hub-Signature-256: sha256=<hex>``).
- ``api-key``: ``header`` carries ``prefix`` + the secret itself.

Every comparison is constant-time; every failure raises a 401 error that names the
header and the problem, never the secret or the expected value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

from hub.workspace.config import VerifyConfig
from webhooks.inbound.errors import VerificationError
from webhooks.signatures import verify as verify_standard

_DIGEST_SIZE = hashlib.sha256().digest_size


def verify_request(
    config: VerifyConfig, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> str | None:
    """Raise a 401 error unless the request checks out; return the ``webhook-id`` (standard-webhooks) or None.

    ``headers`` must look up names case-insensitively (Starlette's ``Headers`` does).
    """
    secrets = config.secrets  # the current secret, and the previous one during a rotation
    if config.scheme == "standard-webhooks":
        return verify_standard(headers, body, secrets=secrets, tolerance=config.effective_tolerance,
                               now=now).webhook_id
    header = config.effective_header
    assert header is not None
    value = _required(headers, header)
    prefix = config.prefix or ""
    if not value.startswith(prefix):
        raise VerificationError(f"the {header} header does not start with {prefix!r}")
    given = value[len(prefix):].strip()
    if config.scheme == "hmac-sha256":
        signature = _decode(header, given, config.effective_encoding)
        # Every secret is checked (no early exit), each comparison in constant time.
        matches = [hmac.compare_digest(signature, hmac.new(s.encode(), body, hashlib.sha256).digest())
                   for s in secrets]
        if not any(matches):
            raise VerificationError(
                f"the {header} signature does not match (wrong secret, or the body was changed on the way)")
        return None
    if not any([hmac.compare_digest(given.encode(), s.encode()) for s in secrets]):  # noqa: C419 - check all
        raise VerificationError(f"the {header} header does not carry the source's key")
    return None


def _required(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise VerificationError(f"missing header {name}")
    return value


def _decode(header: str, text: str, encoding: str) -> bytes:
    try:
        digest = bytes.fromhex(text) if encoding == "hex" else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise VerificationError(f"the {header} signature is not {encoding} (the source's encoding)") from None
    if len(digest) != _DIGEST_SIZE:
        raise VerificationError(
            f"the {header} signature is {len(digest)} bytes, not a {_DIGEST_SIZE}-byte SHA-256 digest "
            f"written in {encoding}")
    return digest
