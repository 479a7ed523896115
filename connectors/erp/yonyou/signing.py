"""The selfAppAuth signature: pure functions, checked by a known-answer test.

``S = urlencode(base64(HMAC_SHA256(key=appSecret, msg="appKey" + K + "timestamp" + MS)))``:
parameter names sorted, each name followed by its value, no ``=`` or ``&``; the binary
digest is base64-encoded and the result URL-encoded once (``+`` → ``%2B``, ``/`` → ``%2F``,
``=`` → ``%3D``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

TOKEN_PATH = "/open-auth/selfAppAuth/base/v1/getAccessToken"  # noqa: S105 - a URL path


def string_to_sign(params: dict[str, str]) -> str:
    """Names sorted, each followed by its value: ``appKey<K>timestamp<MS>``."""
    return "".join(name + params[name] for name in sorted(params))


def signature(app_key: str, app_secret: str, timestamp_ms: int | str) -> str:
    """The base64 signature (before URL encoding): what the server compares after decoding the query."""
    message = string_to_sign({"appKey": app_key, "timestamp": str(timestamp_ms)})
    digest = hmac.new(app_secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def token_url(token_base: str, app_key: str, app_secret: str, timestamp_ms: int) -> str:
    """The full getAccessToken URL, with the signature URL-encoded exactly once."""
    query = "&".join((
        f"appKey={quote(app_key, safe='')}",
        f"timestamp={timestamp_ms}",
        f"signature={quote(signature(app_key, app_secret, timestamp_ms), safe='')}",
    ))
    return f"{token_base.rstrip('/')}{TOKEN_PATH}?{query}"
