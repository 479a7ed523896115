"""The shared WeCom/DingTalk callback cipher: the vendors' known answers, round trips, and every way to be wrong."""

from __future__ import annotations

import base64
import hmac
import struct
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from connectors.callback_crypto import CallbackCipher, CallbackRejected, check_timestamp
from hub.errors import ConfigError

# WeCom's official sample (docs/shared protocols sheet).
WECOM_TOKEN = "QDG6eK"
WECOM_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
WECOM_CORP = "wx5823bf96d3bd56c7"
ECHO = {
    "signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589", "nonce": "263014780",
    "encrypt": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
}
MESSAGE = {
    "signature": "477715d11cdb4164915debcba66cb864d751f3e6", "timestamp": "1409659813", "nonce": "1372623149",
    "encrypt": (
        "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYv"
        "uJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+"
        "LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcall"
        "crw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/"
        "T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
    ),
}
# DingTalk's older documentation; the owner key is a suite key.
DING_TOKEN = "123456"
DING_KEY = "4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij"
DING_OWNER = "suite4xxxxxxxxxxxxxxx"
DING = {
    "signature": "5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0", "timestamp": "1445827045067", "nonce": "nEXhMP4r",
    "encrypt": (
        "1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrHMeiZI7gTRWVdUBmfxjZ8Ej23JVYa9"
        "VrYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0rgUathB6zRHP8PYrfgnNOS9PhSBdHlegK+AGGanfwjXuQ9+0pZcy0w9"
        "lQ=="
    ),
}


def wecom(receive_id: str = WECOM_CORP) -> CallbackCipher:
    return CallbackCipher(WECOM_TOKEN, WECOM_KEY, receive_id)


def aes_key(encoding_aes_key: str = WECOM_KEY) -> bytes:
    return base64.b64decode(encoding_aes_key + "=")


def raw_decrypt(encrypt: str, encoding_aes_key: str = WECOM_KEY) -> bytes:
    """The padded plaintext, without any checks (to look inside the vendor's vectors)."""
    key = aes_key(encoding_aes_key)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    return decryptor.update(base64.b64decode(encrypt)) + decryptor.finalize()


def raw_encrypt(plaintext: bytes, encoding_aes_key: str = WECOM_KEY) -> str:
    """Encrypt exactly these bytes (already a block multiple): to forge malformed plaintexts."""
    key = aes_key(encoding_aes_key)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plaintext) + encryptor.finalize()).decode()


def padded(body: bytes, pad: int | None = None, pad_bytes: bytes | None = None) -> bytes:
    if pad_bytes is not None:
        return body + pad_bytes
    count = 32 - len(body) % 32 if pad is None else pad
    return body + bytes([count]) * count


def framed(message: bytes, receive_id: bytes = WECOM_CORP.encode(), *, length: int | None = None) -> bytes:
    return b"R" * 16 + struct.pack(">I", len(message) if length is None else length) + message + receive_id


# -- known answers ---------------------------------------------------------------------------------------------


def test_wecom_url_verification_vector_opens_to_the_echo_plaintext() -> None:
    assert wecom().open(**ECHO) == b"1616140317555161061"


def test_wecom_message_vector_opens_to_the_text_message() -> None:
    xml = ET.fromstring(wecom().open(**MESSAGE))  # noqa: S314 - the vendor's published vector

    assert xml.findtext("Content") == "hello"
    assert xml.findtext("FromUserName") == "mycreate"
    assert xml.findtext("MsgId") == "4561255354251345929"
    assert xml.findtext("AgentID") == "218"


def test_dingtalk_vector_opens_with_the_suite_key_as_owner() -> None:
    cipher = CallbackCipher(DING_TOKEN, DING_KEY, DING_OWNER)

    assert cipher.open(**DING) == (
        b'{"EventType":"check_create_suite_url","Random":"LPIdSnlF","TestSuiteKey":"suite4xxxxxxxxxxxxxxx"}')


@pytest.mark.parametrize(
    ("token", "vector"),
    [(WECOM_TOKEN, ECHO), (WECOM_TOKEN, MESSAGE), (DING_TOKEN, DING)],
    ids=["wecom-echo", "wecom-message", "dingtalk"],
)
def test_signature_reproduces_the_vendors_msg_signature(token: str, vector: dict[str, str]) -> None:
    key = DING_KEY if token == DING_TOKEN else WECOM_KEY
    cipher = CallbackCipher(token, key, "any")

    assert cipher.signature(vector["timestamp"], vector["nonce"], vector["encrypt"]) == vector["signature"]


@pytest.mark.parametrize(
    ("key", "receive_id", "vector"),
    [(WECOM_KEY, WECOM_CORP, ECHO), (WECOM_KEY, WECOM_CORP, MESSAGE), (DING_KEY, DING_OWNER, DING)],
    ids=["wecom-echo", "wecom-message", "dingtalk"],
)
def test_encrypt_with_the_vendors_random_prefix_reproduces_the_vendors_ciphertext(
    key: str, receive_id: str, vector: dict[str, str]
) -> None:
    prefix = raw_decrypt(vector["encrypt"], key)[:16]
    cipher = CallbackCipher("t", key, receive_id, random_bytes=lambda n: prefix[:n])
    message = CallbackCipher("t", key, receive_id).decrypt(vector["encrypt"])

    assert cipher.encrypt(message) == vector["encrypt"]


# -- round trips -----------------------------------------------------------------------------------------------


def test_chinese_text_round_trips_with_its_byte_length_in_the_length_field() -> None:
    message = "客户张三已添加为外部联系人".encode()
    cipher = wecom()

    encrypted = cipher.encrypt(message)
    plain = raw_decrypt(encrypted)

    assert cipher.decrypt(encrypted) == message
    assert struct.unpack(">I", plain[16:20])[0] == len(message) == 39  # 13 characters, 39 bytes
    assert plain[20 + 39:20 + 39 + len(WECOM_CORP)] == WECOM_CORP.encode()


@pytest.mark.parametrize("size", [0, 1, 11, 12, 31, 32, 100, 4096], ids=lambda n: f"{n}-bytes")
def test_messages_of_any_length_round_trip_padded_to_32_byte_blocks(size: int) -> None:
    message = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    cipher = wecom()

    encrypted = cipher.encrypt(message)
    plain = raw_decrypt(encrypted)

    assert cipher.decrypt(encrypted) == message
    assert len(plain) % 32 == 0
    assert 1 <= plain[-1] <= 32  # a full block of 32 when already aligned


def test_seal_then_open_gives_back_the_message() -> None:
    cipher = CallbackCipher(DING_TOKEN, DING_KEY, "dingappkey")

    encrypted, signature = cipher.seal(b"success", "1700000000000", "nonce1")

    assert cipher.open(signature, "1700000000000", "nonce1", encrypted) == b"success"


def test_each_encryption_uses_a_fresh_random_prefix() -> None:
    cipher = wecom()

    assert cipher.encrypt(b"same") != cipher.encrypt(b"same")


# -- rejections ------------------------------------------------------------------------------------------------


def test_a_changed_signature_is_rejected_as_401() -> None:
    bad = dict(MESSAGE, signature="0" + MESSAGE["signature"][1:])

    with pytest.raises(CallbackRejected) as caught:
        wecom().open(**bad)

    assert (caught.value.reason, caught.value.status) == ("signature", 401)
    assert MESSAGE["signature"] not in caught.value.message
    assert WECOM_TOKEN not in caught.value.message


@pytest.mark.parametrize("field", ["timestamp", "nonce", "encrypt"])
def test_changing_any_signed_value_breaks_the_signature(field: str) -> None:
    changed = dict(ECHO, **{field: ECHO[field][:-1] + ("A" if ECHO[field][-1] != "A" else "B")})

    with pytest.raises(CallbackRejected, match="msg_signature"):
        wecom().verify(**changed)


def test_a_non_ascii_signature_is_rejected_not_crashed_on() -> None:
    with pytest.raises(CallbackRejected) as caught:
        wecom().verify("签名", ECHO["timestamp"], ECHO["nonce"], ECHO["encrypt"])

    assert caught.value.reason == "signature"


def test_signatures_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr("connectors.callback_crypto.hmac.compare_digest", spy)
    wecom().verify(**ECHO)

    assert calls == [(ECHO["signature"].encode(), ECHO["signature"].encode())]


def test_a_message_for_another_receive_id_is_rejected_as_403() -> None:
    sealed = wecom("ww-other-corp").encrypt(b"<xml/>")

    with pytest.raises(CallbackRejected) as caught:
        wecom().decrypt(sealed)

    assert (caught.value.reason, caught.value.status) == ("receive_id", 403)


def test_the_dingtalk_vector_is_rejected_for_an_app_key_other_than_its_suite_key() -> None:
    with pytest.raises(CallbackRejected) as caught:
        CallbackCipher(DING_TOKEN, DING_KEY, "dingappkey").open(**DING)

    assert caught.value.reason == "receive_id"


def test_a_message_sealed_with_another_aes_key_is_rejected() -> None:
    other_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    sealer = CallbackCipher(WECOM_TOKEN, other_key, WECOM_CORP, random_bytes=lambda n: b"\x01" * n)

    with pytest.raises(CallbackRejected):
        wecom().decrypt(sealer.encrypt(b"<xml>hello</xml>"))


def _cut(encrypt: str, count: int) -> str:
    return base64.b64encode(base64.b64decode(encrypt)[:-count]).decode()


@pytest.mark.parametrize(
    ("encrypt", "reason"),
    [
        ("not base64!", "base64"),
        ("QUJ", "base64"),  # the = padding is missing
        ("", "format"),
        (_cut(MESSAGE["encrypt"], 5), "format"),  # not a whole number of AES blocks
        (base64.b64encode(b"x" * 15).decode(), "format"),
        (raw_encrypt(padded(b"")), "format"),  # a whole block of padding and nothing before it
        (raw_encrypt(padded(b"R" * 16 + b"\x00\x00")), "format"),  # shorter than the length field
        (raw_encrypt(padded(framed(b"hi"), pad_bytes=b"\x00" * 8)), "padding"),  # pad value 0
        (raw_encrypt(padded(framed(b"hi"), pad_bytes=b"\x21" * 8)), "padding"),  # pad value 33, over 32
        (raw_encrypt(padded(framed(b"hi"), pad_bytes=b"\x07" + b"\x08" * 7)), "padding"),  # bytes disagree
        (raw_encrypt(padded(framed(b"hi", length=4000))), "length"),  # length field past the end
        (raw_encrypt(padded(framed(b"hi", b"wx5823bf96d3bd56c"))), "receive_id"),  # one character short
    ],
    ids=["not-base64", "missing-base64-padding", "empty", "not-a-block-multiple", "one-short-block", "only-padding",
         "too-short", "pad-zero", "pad-over-32", "pad-bytes-disagree", "length-too-big", "receive-id-cut"],
)
def test_malformed_ciphertexts_are_rejected_with_their_reason(encrypt: str, reason: str) -> None:
    with pytest.raises(CallbackRejected) as caught:
        wecom().decrypt(encrypt)

    assert caught.value.reason == reason
    assert caught.value.status == (403 if reason == "receive_id" else 400)


def test_a_ciphertext_cut_by_whole_blocks_is_rejected() -> None:
    for blocks in (1, 2, 5):
        with pytest.raises(CallbackRejected):
            wecom().decrypt(_cut(MESSAGE["encrypt"], 16 * blocks))


def test_the_rejection_has_the_hubs_error_code_and_a_reason_in_details() -> None:
    with pytest.raises(CallbackRejected) as caught:
        wecom().decrypt("not base64!")

    assert caught.value.code == "callback_rejected"
    assert caught.value.details == {"reason": "base64"}


# -- timestamps ------------------------------------------------------------------------------------------------

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_a_recent_timestamp_in_seconds_passes() -> None:
    check_timestamp(str(int((NOW - timedelta(seconds=299)).timestamp())), NOW, tolerance_s=300, millis=False)


def test_a_recent_dingtalk_timestamp_in_milliseconds_passes() -> None:
    sent = int((NOW - timedelta(seconds=10)).timestamp() * 1000)

    check_timestamp(str(sent), NOW, tolerance_s=300, millis=True)


@pytest.mark.parametrize(
    ("timestamp", "millis"),
    [
        (str(int((NOW - timedelta(seconds=301)).timestamp())), False),
        (str(int((NOW + timedelta(seconds=301)).timestamp())), False),  # from the future
        (str(int((NOW - timedelta(hours=1)).timestamp() * 1000)), True),
        (str(int(NOW.timestamp())), True),  # seconds read as milliseconds: January 1970
        (str(int(NOW.timestamp() * 1000)), False),  # milliseconds read as seconds: far future
    ],
    ids=["old-seconds", "future-seconds", "old-millis", "seconds-as-millis", "millis-as-seconds"],
)
def test_a_timestamp_outside_the_tolerance_is_rejected_as_401(timestamp: str, millis: bool) -> None:
    with pytest.raises(CallbackRejected) as caught:
        check_timestamp(timestamp, NOW, tolerance_s=300, millis=millis)

    assert (caught.value.reason, caught.value.status) == ("timestamp", 401)


@pytest.mark.parametrize("timestamp", ["", "abc", "-5", "1.5", "１２３"], ids=["empty", "letters", "negative",
                                                                              "decimal", "full-width-digits"])
def test_a_timestamp_that_is_not_a_number_is_rejected_as_400(timestamp: str) -> None:
    with pytest.raises(CallbackRejected) as caught:
        check_timestamp(timestamp, NOW, tolerance_s=300, millis=False)

    assert (caught.value.reason, caught.value.status) == ("timestamp", 400)


def test_the_dingtalk_vector_timestamp_is_milliseconds() -> None:
    sent = datetime(2015, 10, 26, 2, 37, 25, tzinfo=UTC)

    check_timestamp(DING["timestamp"], sent, tolerance_s=60, millis=True)


# -- configuration ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "key", "receive_id", "match"),
    [
        (WECOM_TOKEN, WECOM_KEY[:-1], WECOM_CORP, "43 characters, got 42"),
        (WECOM_TOKEN, WECOM_KEY + "A", WECOM_CORP, "43 characters, got 44"),
        (WECOM_TOKEN, WECOM_KEY[:-1] + "!", WECOM_CORP, "not base64"),
        ("", WECOM_KEY, WECOM_CORP, "token is empty"),
        (WECOM_TOKEN, WECOM_KEY, "", "receive id"),
    ],
    ids=["key-too-short", "key-too-long", "key-not-base64", "no-token", "no-receive-id"],
)
def test_bad_settings_are_a_config_error_that_does_not_echo_the_key(
    token: str, key: str, receive_id: str, match: str
) -> None:
    with pytest.raises(ConfigError, match=match) as caught:
        CallbackCipher(token, key, receive_id)

    assert key[:20] not in caught.value.message
