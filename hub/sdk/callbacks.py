"""What a connector type implements to receive its vendor's callbacks (WeCom, DingTalk, ...).

The hub owns the HTTP side (``/callbacks/{type}/{connector}``, see hub/api/routes/callbacks.py):
it finds the connector in hub.yaml, resolves its settings and hands the handler a
:class:`CallbackRequest`. The handler verifies and decrypts (connectors.callback_crypto), and
answers with a :class:`CallbackReply`; when the reply carries a ``message``, the hub stores it
durably before it answers, and the channel's processor (webhooks/inbound/processing.py) reads it
later. A bad callback is a raised ``CallbackRejected`` (or another 4xx ``HubError``), never a crash::

    class WeComCallbacks:
        channel = "wecom"

        def receive(self, settings, request):
            cipher = CallbackCipher(token, aes_key, corp_id)
            if request.method == "GET":     # URL verification: echo the plaintext, store nothing
                return CallbackReply(body=cipher.open(sig, ts, nonce, echostr))
            event = cipher.open(sig, ts, nonce, encrypt_from(request.body))
            return CallbackReply(message=event, dedupe_key=..., event_type=...)

A new connector type adds one line to :data:`CALLBACK_HANDLERS` (its path segment and the
handler class, imported lazily) and a processor for its channel.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

from hub.errors import ConfigError
from hub.sdk.contract import ConnectorSettings

# Connector type (also the URL segment: /callbacks/{type}/{connector}) -> "module:Class".
CALLBACK_HANDLERS: dict[str, str] = {
    "wecom": "connectors.wecom.callbacks:WeComCallbacks",
    "dingtalk": "connectors.dingtalk.callbacks:DingTalkCallbacks",
}


@dataclass(frozen=True)
class CallbackRequest:
    """One vendor callback as it arrived (query values already URL-decoded)."""

    method: str  # "GET" or "POST"
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    now: datetime  # aware UTC: for timestamp checks


@dataclass(frozen=True)
class CallbackReply:
    """What to answer the vendor, and what (if anything) to store for processing."""

    status: int = 200
    body: bytes = b""
    media_type: str = "text/plain"
    message: bytes | None = None  # the verified, decrypted event; None: nothing to store (URL verification)
    dedupe_key: str | None = None  # the vendor's retry of the same event carries the same key: stored once
    event_type: str | None = None  # for logs and the inbound listing


class CallbackHandler(Protocol):
    """Verifies and decrypts one connector type's callbacks; instantiated with no arguments."""

    channel: ClassVar[str]  # the inbound processing channel ("wecom", "dingtalk")

    def receive(self, settings: ConnectorSettings, request: CallbackRequest) -> CallbackReply:
        """Check and open ``request``; raise ``CallbackRejected`` (or another 4xx HubError) for a bad one."""
        ...


def callback_handler(connector_type: str) -> CallbackHandler | None:
    """A handler for ``connector_type``'s callbacks, or None when the type takes none."""
    target = CALLBACK_HANDLERS.get(connector_type)
    if target is None:
        return None
    module_name, _, attribute = target.partition(":")
    try:
        handler_class = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"the callback handler {target} of connector type {connector_type!r} cannot be "
                          f"loaded: {exc}") from exc
    handler: CallbackHandler = handler_class()
    return handler
