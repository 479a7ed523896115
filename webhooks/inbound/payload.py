"""The parts of an inbound request the hub keeps: the body (read within a limit), headers, and the dedupe key.

Reading stops as soon as the body passes the limit (a declared ``Content-Length`` over
it is refused before reading anything), so a sender cannot make the hub buffer more
than the limit, whether it lies about the length or streams a chunked body.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

from hub.workspace.config import SourceConfig
from hub.workspace.secret_refs import is_credential_header
from webhooks.inbound.errors import BadRequestError, PayloadTooLargeError

MAX_KEY_LENGTH = 200  # longer dedupe values are stored as their SHA-256
_PATH_PART = re.compile(r"\.([^.\[\]\s]+)|\[([0-9]+)\]")


def check_declared_length(headers: Mapping[str, str], limit: int) -> None:
    """Refuse a ``Content-Length`` over ``limit`` before reading (the body is still checked while read)."""
    declared = headers.get("content-length")
    if declared is None:
        return
    if not declared.isdigit():
        raise BadRequestError("Content-Length is not a number")
    if int(declared) > limit:
        raise _too_large(limit)


async def read_limited(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """The body from ``chunks``; PayloadTooLargeError as soon as it passes ``limit`` bytes."""
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"the body is larger than this source accepts ({limit:,} bytes)",
                                details={"limit": limit})


def parse_json(body: bytes) -> Any:
    """The JSON body; a 400 error saying where it breaks."""
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise BadRequestError("the body is not UTF-8 text (expected JSON)") from None
    except json.JSONDecodeError as exc:
        raise BadRequestError(f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                              details={"line": exc.lineno, "column": exc.colno}) from None


def dedupe_key(source: SourceConfig, headers: Mapping[str, str], payload: Any, webhook_id: str | None) -> str | None:
    """What identifies this message: the ``dedupe`` JSON path or header, else the standard-webhooks id.

    None (no deduplication) when the configured value is missing or not text or a number.
    """
    if source.dedupe is None:
        return _bounded(webhook_id) if webhook_id else None
    if source.dedupe.startswith("$"):
        value = json_path_value(payload, source.dedupe)
        if isinstance(value, bool) or not isinstance(value, str | int | float) or value == "":
            return None
        return _bounded(str(value))
    header = headers.get(source.dedupe)
    return _bounded(header) if header else None


def json_path_value(payload: Any, path: str) -> Any:
    """The value at ``$.a.b[0].c`` in ``payload``, or None when any part is missing."""
    value = payload
    for name, index in _PATH_PART.findall(path[1:]):
        if name:
            value = value.get(name) if isinstance(value, dict) else None
        else:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
        if value is None:
            return None
    return value


def _bounded(value: str) -> str:
    if len(value) <= MAX_KEY_LENGTH:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def kept_headers(headers: Mapping[str, str], *, secret_header: str | None = None) -> dict[str, str]:
    """The request headers worth keeping with the message, less credentials (API keys, tokens, cookies)."""
    drop = secret_header.lower() if secret_header else None
    kept: dict[str, str] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered != drop and lowered not in _TRANSPORT and not is_credential_header(lowered):
            kept[lowered] = value
    return kept


_TRANSPORT = frozenset({"host", "content-length", "connection", "transfer-encoding", "expect", "keep-alive"})
