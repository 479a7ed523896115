"""The callback handler: WeCom's published vectors, round trips, and every way a callback is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.callback_crypto import CallbackCipher, CallbackRejected
from connectors.wecom import WeComSettings
from connectors.wecom.callback_xml import parse_event
from connectors.wecom.callbacks import WeComCallbacks
from connectors.wecom.simulator import WeComSimulator, event_xml
from hub.errors import ConfigError
from hub.sdk import CallbackRequest

# WeCom's official sample (WXBizMsgCrypt), as in the protocol sheet.
TOKEN, AES_KEY, CORP = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"
ECHOSTR = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
ENCRYPT = ("RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sY"
           "YvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+Lt"
           "wGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9"
           "EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0l"
           "XdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==")
SAMPLE = WeComSettings(corp_id=CORP, corp_secret="unused", callback_token=TOKEN, encoding_aes_key=AES_KEY)


def at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def envelope(encrypt: str) -> bytes:
    return f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()


def request(method: str, query: dict[str, str], body: bytes = b"", now: datetime | None = None) -> CallbackRequest:
    return CallbackRequest(method, query, {}, body, now or datetime.now(UTC))


def test_the_official_url_verification_vector_echoes_its_plaintext() -> None:
    query = {"msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589",
             "nonce": "263014780", "echostr": ECHOSTR}

    reply = WeComCallbacks().receive(SAMPLE, request("GET", query, now=at(1409659589)))

    assert (reply.status, reply.body, reply.message) == (200, b"1616140317555161061", None)


def test_an_echostr_whose_plus_signs_arrived_as_spaces_still_verifies() -> None:
    query = {"msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589",
             "nonce": "263014780", "echostr": ECHOSTR.replace("+", " ")}

    assert WeComCallbacks().receive(SAMPLE, request("GET", query, now=at(1409659589))).body == b"1616140317555161061"


def test_the_official_message_vector_decrypts_to_its_event() -> None:
    query = {"msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6", "timestamp": "1409659813",
             "nonce": "1372623149"}

    reply = WeComCallbacks().receive(SAMPLE, request("POST", query, envelope(ENCRYPT), now=at(1409659813)))

    assert (reply.status, reply.body) == (200, b"")
    assert reply.message is not None
    event = parse_event(reply.message)
    assert (event["Content"], event["FromUserName"], event["MsgId"], event["AgentID"]) == (
        "hello", "mycreate", "4561255354251345929", "218")
    assert reply.dedupe_key == "msg:4561255354251345929"
    assert reply.event_type == "text"


# -- round trips with the simulator's account ------------------------------------------------------

SIM = WeComSimulator(3, employees=3, contacts=2, approvals=0)


def settings(**overrides: Any) -> WeComSettings:
    a = SIM.account
    return WeComSettings.model_validate({"corp_id": a.corp_id, "corp_secret": a.corp_secret,
                                         "callback_token": a.callback_token, "encoding_aes_key": a.encoding_aes_key,
                                         **overrides})


def sealed(message: bytes, *, timestamp: int | None = None, receive_id: str | None = None,
           token: str | None = None) -> tuple[dict[str, str], bytes]:
    a = SIM.account
    cipher = CallbackCipher(token or a.callback_token, a.encoding_aes_key, receive_id or a.corp_id)
    when = str(timestamp or int(datetime.now(UTC).timestamp()))
    encrypt, signature = cipher.seal(message, when, "4711")
    return {"msg_signature": signature, "timestamp": when, "nonce": "4711"}, envelope(encrypt)


EVENT = event_xml({"ToUserName": SIM.account.corp_id, "FromUserName": "sys", "CreateTime": 1715000000,
                   "MsgType": "event", "Event": "change_external_contact", "ChangeType": "add_external_contact",
                   "UserID": "zhangsan", "ExternalUserID": "wmAbc"})


def test_an_event_sealed_like_wecom_opens_to_the_same_bytes_with_a_stable_dedupe_key() -> None:
    first = WeComCallbacks().receive(settings(), request("POST", *sealed(EVENT)))
    retry = WeComCallbacks().receive(settings(), request("POST", *sealed(EVENT)))  # a new random prefix

    assert first.message == retry.message == EVENT
    assert first.dedupe_key == retry.dedupe_key
    assert first.event_type == "change_external_contact/add_external_contact"


def test_different_events_have_different_dedupe_keys() -> None:
    other = EVENT.replace(b"wmAbc", b"wmXyz")

    one = WeComCallbacks().receive(settings(), request("POST", *sealed(EVENT)))
    two = WeComCallbacks().receive(settings(), request("POST", *sealed(other)))

    assert one.dedupe_key != two.dedupe_key


REJECTIONS = [
    pytest.param(lambda: sealed(EVENT, token="another-token"), "signature", 401, id="wrong-signature"),
    pytest.param(lambda: sealed(EVENT, receive_id="wwanothercorp000"), "receive_id", 403, id="other-corp"),
    pytest.param(lambda: sealed(EVENT, timestamp=int(datetime.now(UTC).timestamp()) - 3600), "timestamp", 401,
                 id="replayed-old-timestamp"),
    pytest.param(lambda: ({"timestamp": "1", "nonce": "2"}, envelope("x")), "format", 400, id="no-signature"),
    pytest.param(lambda: (sealed(EVENT)[0], b"not xml"), "format", 400, id="body-not-xml"),
    pytest.param(lambda: (sealed(EVENT)[0], b"<xml><ToUserName>x</ToUserName></xml>"), "format", 400,
                 id="no-encrypt-element"),
    pytest.param(lambda: (sealed(EVENT)[0], b'<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'),
                 "format", 400, id="doctype-in-envelope"),
    pytest.param(lambda: sealed(b'<!DOCTYPE x [<!ENTITY a "a">]><xml><Event>&a;</Event></xml>'), "format", 400,
                 id="doctype-in-event"),
]


@pytest.mark.parametrize(("make", "reason", "status"), REJECTIONS)
def test_a_bad_callback_is_rejected_with_a_reason_and_a_4xx(make: Any, reason: str, status: int) -> None:
    query, body = make()

    with pytest.raises(CallbackRejected) as caught:
        WeComCallbacks().receive(settings(), request("POST", query, body))

    assert (caught.value.reason, caught.value.status) == (reason, status)


def test_a_truncated_ciphertext_is_rejected_not_a_crash() -> None:
    a = SIM.account
    cipher = CallbackCipher(a.callback_token, a.encoding_aes_key, a.corp_id)
    encrypt = cipher.encrypt(EVENT)[:-8]  # cut: no longer whole blocks
    when = str(int(datetime.now(UTC).timestamp()))
    query = {"msg_signature": cipher.signature(when, "1", encrypt), "timestamp": when, "nonce": "1"}

    with pytest.raises(CallbackRejected) as caught:
        WeComCallbacks().receive(settings(), request("POST", query, envelope(encrypt)))

    assert caught.value.status == 400


def test_the_timestamp_check_can_be_turned_off() -> None:
    query, body = sealed(EVENT, timestamp=1409659813)

    assert WeComCallbacks().receive(settings(callback_max_age=0), request("POST", query, body)).message == EVENT


def test_a_connector_without_callback_settings_says_what_to_set() -> None:
    with pytest.raises(ConfigError, match="callback_token and encoding_aes_key"):
        WeComCallbacks().receive(settings(callback_token=None), request("POST", *sealed(EVENT)))


def test_an_encoding_aes_key_of_the_wrong_length_is_refused_in_the_settings() -> None:
    with pytest.raises(ValueError, match="43-character"):
        settings(encoding_aes_key="too-short")
