"""DingTalk event callbacks over HTTP (事件订阅 · HTTP 推送) at ``POST /callbacks/dingtalk/{connector}``.

Receiving (in the request, before the hub stores the event)::

    POST ?msg_signature=..&timestamp=<ms>&nonce=..        (or signature= / timeStamp=)
    {"encrypt": "<base64>"}
        timestamp within callback_tolerance_seconds of our clock     else 401 (a replay)
        sha1(sorted([token, timestamp, nonce, encrypt])) matches       else 401
        decrypts with aes_key, sealed for our owner key (app key)      else 400 / 403
    ─► answer {"msg_signature", "timeStamp", "nonce", "encrypt": <"success" encrypted>}
       (DingTalk retries any callback not answered so); the event is stored first, except
       ``check_url`` (the subscription's first call), which is answered and not stored.

Processing (later, in the inbound batch's transaction; never calls DingTalk)::

    bpms_instance_change  processCode in process_codes ─► enqueue_fetch(contract, [processInstanceId])
    bpms_task_change      recorded (result says who did what); a refusal ends the instance ─► fetch too
    anything else         processed as a no-op, the result says why
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import Connection

from connectors.callback_crypto import CallbackCipher, CallbackRejected, check_timestamp
from connectors.dingtalk.settings import DingTalkSettings
from connectors.dingtalk.streams import STREAM
from hub.errors import HubError, NotFoundError
from hub.sdk import settings_as
from hub.sdk.callbacks import CallbackReply, CallbackRequest
from hub.sdk.contract import ConnectorSettings
from hub.sync.fetch import enqueue_fetch
from hub.sync.plan import connector_config, connector_settings
from webhooks.inbound.context import ProcessingContext
from webhooks.inbound.processing import Outcome, StoredMessage, processed, quarantined

CHANNEL = "dingtalk"
SUCCESS = b"success"
CHECK_URL = "check_url"
INSTANCE_CHANGE = "bpms_instance_change"
TASK_CHANGE = "bpms_task_change"
_NONCE_ALPHABET = string.ascii_letters + string.digits


def _first(query: Any, *names: str) -> str | None:
    for name in names:
        value = query.get(name)
        if value:
            return str(value)
    return None


def dedupe_key(event: dict[str, Any], plaintext: bytes) -> str:
    """The same key for DingTalk's retries of one event (their ciphertexts differ, the event does not)."""
    event_type = str(event.get("EventType") or "")
    event_id = event.get("eventId") or event.get("EventId")
    if event_id:
        return f"{event_type}:{event_id}"
    if event_type == INSTANCE_CHANGE and event.get("processInstanceId"):
        return ":".join(str(event.get(k) or "") for k in ("EventType", "processInstanceId", "type", "result"))
    if event_type == TASK_CHANGE and event.get("processInstanceId"):
        return ":".join(str(event.get(k) or "") for k in ("EventType", "processInstanceId", "taskId", "type",
                                                           "result"))
    canonical = json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return f"{event_type or 'event'}:{hashlib.sha256(canonical or plaintext).hexdigest()[:32]}"


def cipher_for(settings: DingTalkSettings) -> CallbackCipher:
    if settings.callback_token is None or settings.aes_key is None:
        raise NotFoundError("this DingTalk connector takes no callbacks: set callback_token and aes_key (from the "
                            "app's event subscription page) in its settings")
    return CallbackCipher(settings.callback_token.get_secret_value(), settings.aes_key.get_secret_value(),
                          settings.owner_key)


class DingTalkCallbacks:
    """The ``CallbackHandler`` for ``type: dingtalk`` connectors (hub/sdk/callbacks.py)."""

    channel: ClassVar[str] = CHANNEL

    def receive(self, settings: ConnectorSettings, request: CallbackRequest) -> CallbackReply:
        settings = settings_as(DingTalkSettings, settings)
        cipher = cipher_for(settings)
        if request.method != "POST":
            raise CallbackRejected("format", "DingTalk callbacks are POSTed JSON {\"encrypt\": ...}", status=405)
        signature = _first(request.query, "msg_signature", "signature")
        timestamp = _first(request.query, "timestamp", "timeStamp")
        nonce = _first(request.query, "nonce")
        if signature is None or timestamp is None or nonce is None:
            raise CallbackRejected("format", "a DingTalk callback carries msg_signature (or signature), timestamp "
                                             "(or timeStamp) and nonce in its query")
        check_timestamp(timestamp, request.now, tolerance_s=settings.callback_tolerance_seconds, millis=True)
        try:
            envelope = json.loads(request.body)
        except ValueError:
            raise CallbackRejected("format", "the DingTalk callback body is not JSON") from None
        encrypt = envelope.get("encrypt") if isinstance(envelope, dict) else None
        if not isinstance(encrypt, str) or not encrypt:
            raise CallbackRejected("format", "the DingTalk callback body has no \"encrypt\"")
        plaintext = cipher.open(signature, timestamp, nonce, encrypt)
        try:
            event = json.loads(plaintext)
        except ValueError:
            raise CallbackRejected("format", "the decrypted DingTalk event is not JSON") from None
        if not isinstance(event, dict):
            raise CallbackRejected("format", "the decrypted DingTalk event is not a JSON object")
        event_type = str(event.get("EventType") or "") or None
        reply = success_reply(cipher, request)
        if event_type == CHECK_URL:
            return reply  # the subscription's check: answered, nothing to store
        return CallbackReply(body=reply.body, media_type=reply.media_type, message=plaintext,
                             dedupe_key=dedupe_key(event, plaintext), event_type=event_type)


def success_reply(cipher: CallbackCipher, request: CallbackRequest) -> CallbackReply:
    """``{"msg_signature", "timeStamp", "nonce", "encrypt"}`` with ``success`` encrypted, as DingTalk expects."""
    timestamp = str(int(request.now.timestamp() * 1000))
    nonce = "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(16))
    encrypt, signature = cipher.seal(SUCCESS, timestamp, nonce)
    body = {"msg_signature": signature, "timeStamp": timestamp, "nonce": nonce, "encrypt": encrypt}
    return CallbackReply(body=json.dumps(body).encode(), media_type="application/json")


# -- processing ----------------------------------------------------------------------------------


class _Target:
    """What the events of one connector lead to: its process codes and the entity its approvals feed."""

    def __init__(self, process_codes: Sequence[str], entity: str | None) -> None:
        self.process_codes = set(process_codes)
        self.entity = entity


def _target(context: ProcessingContext, connector: str) -> _Target:
    settings = connector_settings(context.workspace, connector)
    settings = settings_as(DingTalkSettings, settings)
    entity = None
    for name, sync in connector_config(context.workspace, connector).entities.items():
        if context.mappings.get(sync.mapping).mapping.object == STREAM:
            entity = name
            break
    return _Target(settings.process_codes, entity)


def process_callbacks(conn: Connection, messages: Sequence[StoredMessage], context: ProcessingContext
                      ) -> list[Outcome]:
    """The ``dingtalk`` channel's processor (webhooks/inbound/processing.py): one outcome per message."""
    targets: dict[str, _Target | HubError] = {}
    outcomes: list[Outcome] = []
    for message in messages:
        try:
            event = json.loads(message.body)
        except ValueError:
            outcomes.append(quarantined(message.id, "payload", "the stored DingTalk event is not JSON"))
            continue
        if not isinstance(event, dict):
            outcomes.append(quarantined(message.id, "payload", "the stored DingTalk event is not a JSON object"))
            continue
        if message.source not in targets:
            try:
                targets[message.source] = _target(context, message.source)
            except HubError as exc:
                targets[message.source] = exc
        target = targets[message.source]
        if isinstance(target, HubError):
            outcomes.append(quarantined(message.id, "config", f"connector {message.source}: {target.message}"))
            continue
        outcomes.append(processed(message.id, _handle(conn, message.source, event, target)))
    return outcomes


def _handle(conn: Connection, connector: str, event: dict[str, Any], target: _Target) -> dict[str, Any]:
    event_type = str(event.get("EventType") or "")
    instance = str(event.get("processInstanceId") or "")
    change = "/".join(str(event.get(k)) for k in ("type", "result") if event.get(k))
    result: dict[str, Any] = {"event": event_type or None}
    if event_type == INSTANCE_CHANGE:
        result.update(instance=instance, change=change)
        return {**result, **_fetch(conn, connector, event, target, instance)}
    if event_type == TASK_CHANGE:
        result.update(instance=instance, task=event.get("taskId"), change=change, staff=event.get("staffId"),
                      action="recorded")
        if event.get("type") == "finish" and event.get("result") == "refuse":  # a refusal ends the instance
            return {**result, **_fetch(conn, connector, event, target, instance)}
        return result
    if event_type == CHECK_URL:
        return {**result, "action": "ignored", "reason": "the subscription's URL check needs no processing"}
    return {**result, "action": "ignored",
            "reason": f"the hub does not act on DingTalk {event_type or 'untyped'} events"}


def _fetch(conn: Connection, connector: str, event: dict[str, Any], target: _Target, instance: str
           ) -> dict[str, Any]:
    code = str(event.get("processCode") or "")
    if not instance:
        return {"action": "ignored", "reason": "the event names no processInstanceId"}
    if code not in target.process_codes:
        return {"action": "ignored", "reason": f"processCode {code or '(none)'} is not in the connector's "
                                               "process_codes"}
    if target.entity is None:
        return {"action": "ignored", "reason": f"connector {connector} syncs no entity from {STREAM} (hub.yaml "
                                               "entities)"}
    job = enqueue_fetch(conn, connector, target.entity, [instance])
    return {"action": "fetch", "entity": target.entity, "ids": [instance], "job": job}
