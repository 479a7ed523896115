"""Receiving DingTalk callbacks (the handler alone): DingTalk's published vector, the encrypted success reply,
check_url, every rejection, and dedupe keys that survive DingTalk's retries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.callback_crypto import CallbackCipher, CallbackRejected
from connectors.dingtalk import DingTalkSettings
from connectors.dingtalk.callbacks import DingTalkCallbacks, dedupe_key
from connectors.dingtalk.simulator import Account, is_success_reply, seal_event
from hub.errors import NotFoundError
from hub.sdk.callbacks import CallbackReply, CallbackRequest

# DingTalk's older documentation: a suite's URL check, sealed for the suite key.
VECTOR_TOKEN = "123456"
VECTOR_AES_KEY = "4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij"
VECTOR_OWNER = "suite4xxxxxxxxxxxxxxx"
VECTOR_QUERY = {"signature": "5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0", "timestamp": "1445827045067",
                "nonce": "nEXhMP4r"}
VECTOR_ENCRYPT = ("1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrHMeiZI7gTRWVdUBmfxjZ8Ej"
                  "23JVYa9VrYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0rgUathB6zRHP8PYrfgnNOS9PhSBdHlegK+AGGanfwjXu"
                  "Q9+0pZcy0w9lQ==")
VECTOR_EVENT = {"EventType": "check_create_suite_url", "Random": "LPIdSnlF", "TestSuiteKey": "suite4xxxxxxxxxxxxxxx"}
VECTOR_TIME = datetime.fromtimestamp(1445827045.067, UTC)

ACCOUNT = Account()
EVENT = {"EventType": "bpms_instance_change", "processInstanceId": "a1b2", "processCode": "PROC-X", "type": "finish",
         "result": "agree", "corpId": "dingcorp", "createTime": 1700000000000}


def settings(**overrides: Any) -> DingTalkSettings:
    values: dict[str, Any] = {"app_key": ACCOUNT.app_key, "app_secret": ACCOUNT.app_secret,
                              "callback_token": ACCOUNT.callback_token, "aes_key": ACCOUNT.aes_key}
    return DingTalkSettings.model_validate({**values, **overrides})


def now() -> datetime:
    return datetime.now(UTC)


def request(query: dict[str, str], body: bytes, *, at: datetime | None = None, method: str = "POST"
            ) -> CallbackRequest:
    return CallbackRequest(method, query, {"content-type": "application/json"}, body, at or now())


def sealed(event: dict[str, Any], *, at: datetime | None = None, **options: Any) -> CallbackRequest:
    moment = at or now()
    query, body = seal_event(event, ACCOUNT, timestamp_ms=int(moment.timestamp() * 1000), nonce="n0nce123",
                             **options)
    return request(query, body, at=moment)


def receive(req: CallbackRequest, **overrides: Any) -> CallbackReply:
    return DingTalkCallbacks().receive(settings(**overrides), req)


def test_dingtalks_published_vector_verifies_and_decrypts() -> None:
    vector = settings(callback_token=VECTOR_TOKEN, aes_key=VECTOR_AES_KEY, callback_owner_key=VECTOR_OWNER)
    req = request(VECTOR_QUERY, json.dumps({"encrypt": VECTOR_ENCRYPT}).encode(), at=VECTOR_TIME)

    reply = DingTalkCallbacks().receive(vector, req)

    assert reply.message is not None
    assert json.loads(reply.message) == VECTOR_EVENT
    assert reply.event_type == "check_create_suite_url"


def test_the_published_vector_replayed_today_is_refused_as_too_old() -> None:
    vector = settings(callback_token=VECTOR_TOKEN, aes_key=VECTOR_AES_KEY, callback_owner_key=VECTOR_OWNER)

    with pytest.raises(CallbackRejected) as refused:
        DingTalkCallbacks().receive(vector, request(VECTOR_QUERY, json.dumps({"encrypt": VECTOR_ENCRYPT}).encode()))

    assert (refused.value.status, refused.value.reason) == (401, "timestamp")


def test_an_event_is_answered_with_the_encrypted_success_dingtalk_waits_for() -> None:
    reply = receive(sealed(EVENT))

    ok, body = is_success_reply(reply.body, ACCOUNT)
    assert ok
    assert body is not None
    assert set(body) == {"msg_signature", "timeStamp", "nonce", "encrypt"}
    assert abs(int(body["timeStamp"]) - now().timestamp() * 1000) < 60_000  # milliseconds, like DingTalk's
    assert reply.media_type == "application/json"
    assert reply.message is not None
    assert json.loads(reply.message) == EVENT
    assert reply.event_type == "bpms_instance_change"


def test_each_success_reply_is_sealed_afresh() -> None:
    first, second = receive(sealed(EVENT)), receive(sealed(EVENT))

    assert json.loads(first.body)["encrypt"] != json.loads(second.body)["encrypt"]


def test_check_url_is_answered_and_nothing_is_stored() -> None:
    reply = receive(sealed({"EventType": "check_url"}))

    assert reply.message is None
    assert is_success_reply(reply.body, ACCOUNT)[0]


@pytest.mark.parametrize("names", [("msg_signature", "timestamp"), ("signature", "timeStamp")],
                         ids=["msg_signature+timestamp", "signature+timeStamp"])
def test_both_spellings_of_the_query_are_accepted(names: tuple[str, str]) -> None:
    assert receive(sealed(EVENT, names=names)).message is not None


def rejection(req: CallbackRequest, **overrides: Any) -> tuple[int, str]:
    with pytest.raises(CallbackRejected) as refused:
        receive(req, **overrides)
    return refused.value.status, refused.value.reason


def test_a_wrong_signature_is_401() -> None:
    req = sealed(EVENT)
    tampered = request({**req.query, "msg_signature": "0" * 40}, req.body, at=req.now)

    assert rejection(tampered) == (401, "signature")


def test_a_callback_signed_with_another_token_is_401() -> None:
    assert rejection(sealed(EVENT), callback_token="another-token") == (401, "signature")


def test_a_callback_sealed_for_another_app_is_403() -> None:
    assert rejection(sealed(EVENT, owner_key="dingotherapp")) == (403, "receive_id")


def test_an_old_timestamp_is_401_as_a_replay() -> None:
    an_hour_ago = datetime.fromtimestamp(now().timestamp() - 3600, UTC)
    req = sealed(EVENT, at=an_hour_ago)

    assert rejection(request(dict(req.query), req.body)) == (401, "timestamp")


def test_a_truncated_ciphertext_is_400() -> None:
    req = sealed(EVENT)
    encrypt = json.loads(req.body)["encrypt"][:-8]
    cipher = CallbackCipher(ACCOUNT.callback_token, ACCOUNT.aes_key, ACCOUNT.app_key)
    query = {**req.query, "msg_signature": cipher.signature(req.query["timestamp"], req.query["nonce"], encrypt)}

    assert rejection(request(query, json.dumps({"encrypt": encrypt}).encode(), at=req.now))[0] == 400


@pytest.mark.parametrize(("query_drop", "body"), [
    ("nonce", None), ("msg_signature", None), ("timestamp", None), (None, b"not json"), (None, b'{"other": 1}'),
], ids=["no-nonce", "no-signature", "no-timestamp", "body-not-json", "no-encrypt"])
def test_a_malformed_callback_is_400(query_drop: str | None, body: bytes | None) -> None:
    req = sealed(EVENT)
    query = {k: v for k, v in req.query.items() if k != query_drop}

    assert rejection(request(query, body if body is not None else req.body, at=req.now)) == (400, "format")


def test_only_post_is_a_dingtalk_callback() -> None:
    req = sealed(EVENT)

    assert rejection(request(dict(req.query), req.body, method="GET", at=req.now))[0] == 405


def test_a_connector_without_callback_settings_has_no_callback_endpoint() -> None:
    with pytest.raises(NotFoundError, match="callback_token and aes_key"):
        DingTalkCallbacks().receive(settings(callback_token=None, aes_key=None), sealed(EVENT))


def test_dingtalks_retries_of_one_event_share_a_dedupe_key_and_other_events_do_not() -> None:
    first, retry = receive(sealed(EVENT)), receive(sealed(EVENT))
    other = receive(sealed({**EVENT, "type": "start", "result": None}))
    task = receive(sealed({**EVENT, "EventType": "bpms_task_change", "taskId": 7}))

    assert first.dedupe_key == retry.dedupe_key
    assert len({first.dedupe_key, other.dedupe_key, task.dedupe_key}) == 3


def test_an_event_id_is_the_dedupe_key_when_dingtalk_sends_one() -> None:
    assert dedupe_key({"EventType": "user_add_org", "eventId": "e-42"}, b"") == "user_add_org:e-42"
    unknown = {"EventType": "user_add_org", "UserId": ["u1"]}
    assert dedupe_key(unknown, b"") == dedupe_key(dict(reversed(list(unknown.items()))), b"")
