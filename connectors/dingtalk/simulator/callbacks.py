"""Sending DingTalk event callbacks to a hub, encrypted exactly as DingTalk does (connectors/callback_crypto.py).

::

    event = sim.finish(instance_id, "agree")                # bpms_instance_change / finish / agree
    delivery = await sim.send_callback("http://hub.test", event, connector="dingtalk-main", transport=...)
    assert delivery.acknowledged                             # the hub answered the encrypted "success"

DingTalk POSTs ``{"encrypt": ...}`` with ``msg_signature`` (or ``signature``), ``timestamp``
(milliseconds) and ``nonce`` in the query, and counts the callback delivered only when the answer
is ``{"msg_signature", "timeStamp", "nonce", "encrypt"}`` whose signature checks out and whose
``encrypt`` decrypts to ``success``; otherwise it retries.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx

from connectors.callback_crypto import CallbackCipher, CallbackRejected
from connectors.dingtalk.simulator.gateway import Account

SIGNATURE_NAMES = ("msg_signature", "timestamp")  # or ("signature", "timeStamp"): both are in use


@dataclass(frozen=True)
class CallbackDelivery:
    status: int
    body: bytes
    acknowledged: bool  # the hub's answer is DingTalk's encrypted "success", correctly signed
    reply: dict[str, Any] | None = None


def cipher_for(account: Account, owner_key: str | None = None) -> CallbackCipher:
    return CallbackCipher(account.callback_token, account.aes_key, owner_key or account.app_key)


def seal_event(
    event: dict[str, Any], account: Account, *, timestamp_ms: int, nonce: str, owner_key: str | None = None,
    names: tuple[str, str] = SIGNATURE_NAMES,
) -> tuple[dict[str, str], bytes]:
    """The query and body of one callback carrying ``event``."""
    cipher = cipher_for(account, owner_key)
    plaintext = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    encrypt, signature = cipher.seal(plaintext, str(timestamp_ms), nonce)
    query = {names[0]: signature, names[1]: str(timestamp_ms), "nonce": nonce}
    return query, json.dumps({"encrypt": encrypt}).encode()


def is_success_reply(body: bytes, account: Account, owner_key: str | None = None) -> tuple[bool, dict[str, Any] | None]:
    """Whether ``body`` is the encrypted ``success`` DingTalk waits for (signature checked, then decrypted)."""
    try:
        reply = json.loads(body)
    except ValueError:
        return False, None
    if not isinstance(reply, dict) or not all(isinstance(reply.get(k), str) for k in
                                              ("msg_signature", "timeStamp", "nonce", "encrypt")):
        return False, reply if isinstance(reply, dict) else None
    try:
        plain = cipher_for(account, owner_key).open(reply["msg_signature"], reply["timeStamp"], reply["nonce"],
                                                    reply["encrypt"])
    except CallbackRejected:
        return False, reply
    return plain == b"success", reply


async def send_callback(
    hub_url: str,
    event: dict[str, Any],
    *,
    connector: str = "dingtalk-main",
    account: Account | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    timestamp_ms: int | None = None,
    nonce: str | None = None,
    owner_key: str | None = None,
    names: tuple[str, str] = SIGNATURE_NAMES,
) -> CallbackDelivery:
    """POST ``event`` to ``{hub_url}/callbacks/dingtalk/{connector}`` as DingTalk would; what the hub answered."""
    account = account or Account()
    query, body = seal_event(event, account, timestamp_ms=timestamp_ms or int(time.time() * 1000),
                             nonce=nonce or secrets.token_hex(4), owner_key=owner_key, names=names)
    url = f"{hub_url.rstrip('/')}/callbacks/dingtalk/{connector}"
    async with httpx.AsyncClient(transport=transport, timeout=10.0) as client:
        response = await client.post(url, params=query, content=body, headers={"Content-Type": "application/json"})
    ok, reply = is_success_reply(response.content, account, owner_key) if response.status_code == 200 else (False,
                                                                                                          None)
    return CallbackDelivery(response.status_code, response.content, ok, reply)
