"""Sending callbacks the way WeCom does: the event as XML, encrypted with the shared cipher, POSTed.

::

    await send_callback("http://hub.test/callbacks/wecom/wecom-main", event_dict_or_xml_bytes,
                        token=..., encoding_aes_key=..., corp_id=..., transport=httpx.ASGITransport(hub_app))

POST ``{hub_url}?msg_signature&timestamp&nonce`` with
``<xml><ToUserName/><AgentID/><Encrypt>..</Encrypt></xml>``; :func:`verify_url` does the URL
check (GET with an encrypted ``echostr``). Both use connectors/callback_crypto.py, so tests
exercise the cipher in both directions: the simulator seals, the hub opens.
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from xml.sax.saxutils import escape

import httpx

from connectors.callback_crypto import CallbackCipher


def _xml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "".join(f"<{k}>{_xml_value(v)}</{k}>" for k, v in value.items())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    if "]]>" in text:  # cannot be inside CDATA
        return escape(text)
    return f"<![CDATA[{text}]]>"


def event_xml(event: dict[str, Any]) -> bytes:
    """An event dict as WeCom's XML: text in CDATA, numbers bare, nested dicts as elements, lists repeated."""
    parts = []
    for key, value in event.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(f"<{key}>{_xml_value(item)}</{key}>")
    return ("<xml>" + "".join(parts) + "</xml>").encode()


def _signed_query(cipher: CallbackCipher, encrypt: str, timestamp: str | None, nonce: str | None) -> dict[str, str]:
    when = timestamp or str(int(time.time()))
    once = nonce or str(secrets.randbelow(10**10))
    return {"msg_signature": cipher.signature(when, once, encrypt), "timestamp": when, "nonce": once}


async def send_callback(
    hub_url: str,
    event: dict[str, Any] | bytes,
    *,
    token: str,
    encoding_aes_key: str,
    corp_id: str,
    agent_id: int | str = "",
    transport: httpx.AsyncBaseTransport | None = None,
    timestamp: str | None = None,
    nonce: str | None = None,
    receive_id: str | None = None,
) -> httpx.Response:
    """Encrypt ``event`` (a dict, or the XML itself) and POST it to the hub; the hub's response.

    ``receive_id`` seals it for another corp (to see the hub refuse it); ``timestamp`` and
    ``nonce`` default to now and a random number.
    """
    message = event if isinstance(event, bytes) else event_xml(event)
    cipher = CallbackCipher(token, encoding_aes_key, receive_id or corp_id)
    encrypt = cipher.encrypt(message)
    body = (f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><AgentID><![CDATA[{agent_id}]]></AgentID>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>").encode()
    async with httpx.AsyncClient(transport=transport, timeout=10.0) as client:
        return await client.post(hub_url, params=_signed_query(cipher, encrypt, timestamp, nonce), content=body,
                                 headers={"Content-Type": "text/xml"})


async def verify_url(
    hub_url: str,
    *,
    token: str,
    encoding_aes_key: str,
    corp_id: str,
    transport: httpx.AsyncBaseTransport | None = None,
    echo: str | None = None,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> tuple[str, httpx.Response]:
    """WeCom's URL check: GET with an encrypted ``echostr``; the plaintext it hid and the hub's response."""
    plaintext = echo or str(secrets.randbelow(10**19))
    cipher = CallbackCipher(token, encoding_aes_key, corp_id)
    echostr = cipher.encrypt(plaintext.encode())
    query = {**_signed_query(cipher, echostr, timestamp, nonce), "echostr": echostr}
    async with httpx.AsyncClient(transport=transport, timeout=10.0) as client:
        return plaintext, await client.get(hub_url, params=query)
