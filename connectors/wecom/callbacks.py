"""WeCom callbacks (接收消息与事件) at ``/callbacks/wecom/{connector}``: verify, decrypt, store; process later.

::

    GET  ?msg_signature&timestamp&nonce&echostr   URL verification: check the signature, decrypt echostr,
                                                  answer its plaintext alone (no quotes, BOM or newline)
    POST ?msg_signature&timestamp&nonce           <xml><ToUserName/><AgentID/><Encrypt>..</Encrypt></xml>:
         check, decrypt, answer an empty 200; the hub stores the decrypted event XML first
         (deduplicated: WeCom's retries of one event carry the same key), and
         :func:`process_callbacks` turns it into work later (see callback_processing.py)

Every way a callback can be wrong is a ``CallbackRejected`` (4xx, kept as a rejected message):
a missing query value, an old timestamp (``callback_max_age``), a wrong signature, a body that
is not the envelope, a ciphertext that does not decrypt for this corp, a DOCTYPE anywhere.
The decrypted event is only looked at (kind, MsgId) while WeCom waits; the processor parses it
and quarantines one that is not well-formed (signed by WeCom, so kept for the admin).
"""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from connectors.callback_crypto import CallbackCipher, CallbackRejected, check_timestamp
from connectors.wecom.callback_processing import process_callbacks
from connectors.wecom.callback_xml import dedupe_key, encrypted_payload, event_head, event_type
from connectors.wecom.settings import WeComSettings
from hub.errors import ConfigError
from hub.sdk import CallbackReply, CallbackRequest, ConnectorSettings, settings_as

__all__ = ["WeComCallbacks", "process_callbacks"]


@lru_cache(maxsize=64)
def _cipher(token: str, aes_key: str, corp_id: str) -> CallbackCipher:
    return CallbackCipher(token, aes_key, corp_id)


def cipher_for(settings: WeComSettings) -> CallbackCipher:
    """The connector's callback cipher (kept per Token, EncodingAESKey and corp id: handlers are made per request)."""
    if settings.callback_token is None or settings.encoding_aes_key is None:
        raise ConfigError("wecom: callback_token and encoding_aes_key are not set: copy the Token and "
                          "EncodingAESKey from the app's 接收消息 → 设置API接收 page into the connector's settings")
    return _cipher(settings.callback_token.get_secret_value(), settings.encoding_aes_key.get_secret_value(),
                   settings.corp_id)


class WeComCallbacks:
    """The ``CallbackHandler`` of ``type: wecom`` connectors."""

    channel: ClassVar[str] = "wecom"

    def receive(self, settings: ConnectorSettings, request: CallbackRequest) -> CallbackReply:
        wecom = settings_as(WeComSettings, settings)
        cipher = cipher_for(wecom)
        signature, timestamp, nonce = (request.query.get(k) for k in ("msg_signature", "timestamp", "nonce"))
        if not (signature and timestamp and nonce):
            raise CallbackRejected("format", "a WeCom callback carries msg_signature, timestamp and nonce in its "
                                             "query; this request lacks some")
        if wecom.callback_max_age:
            check_timestamp(timestamp, request.now, tolerance_s=wecom.callback_max_age, millis=False)
        if request.method == "GET":
            echostr = request.query.get("echostr")
            if not echostr:
                raise CallbackRejected("format", "a WeCom URL verification carries echostr in its query")
            # base64 has no spaces: a '+' sent unencoded was decoded as one.
            plaintext = cipher.open(signature, timestamp, nonce, echostr.replace(" ", "+"))
            return CallbackReply(body=plaintext, media_type="text/plain")
        if request.method != "POST":
            raise CallbackRejected("format", f"WeCom callbacks are GET (URL verification) or POST, not "
                                             f"{request.method}", status=405)
        message = cipher.open(signature, timestamp, nonce, encrypted_payload(request.body))
        head = event_head(message)
        return CallbackReply(message=message, dedupe_key=dedupe_key(head, message), event_type=event_type(head))
