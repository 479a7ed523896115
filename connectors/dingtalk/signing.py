"""The custom robot's 加签 signature (pure).

DingTalk checks ``sign`` = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))),
UTF-8, with ``timestamp`` in milliseconds within one hour of its clock::

    POST https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1700000000000&sign=S
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus

ROBOT_CLOCK_TOLERANCE_MS = 3600 * 1000


def robot_signature(secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(secret, f"{timestamp_ms}\\n{secret}")): the ``sign`` value before URL encoding."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def robot_sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` query value as it appears in the URL (URL-encoded, as DingTalk's samples build it)."""
    return quote_plus(robot_signature(secret, timestamp_ms))


def robot_query(access_token: str, secret: str | None, timestamp_ms: int) -> dict[str, str]:
    """The robot URL's query parameters (httpx URL-encodes them, giving exactly :func:`robot_sign`)."""
    query = {"access_token": access_token}
    if secret is not None:
        query.update(timestamp=str(timestamp_ms), sign=robot_signature(secret, timestamp_ms))
    return query
