"""Standard Webhooks signatures: the reference vector, interoperability, and every failure mode."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from webhooks.signatures import (
    SignatureError,
    new_secret,
    new_signing_key,
    sign_v1,
    signature_header,
    verify,
)

# The vector from the Standard Webhooks reference libraries' tests.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _headers(signature: str, webhook_id: str = MSG_ID, timestamp: int = TIMESTAMP) -> dict[str, str]:
    return {"webhook-id": webhook_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def test_known_answer() -> None:
    assert sign_v1(SECRET, MSG_ID, TIMESTAMP, BODY) == EXPECTED


def test_the_reference_library_verifies_what_we_sign() -> None:
    secret = new_secret()
    now = int(datetime.now(UTC).timestamp())
    body = '{"type":"order.confirmed","data":{"number":"SO-1","total":"12.50","note":"加急"}}'.encode()

    header = signature_header("evt_1", now, body, secrets=[secret])

    assert Webhook(secret).verify(body, _headers(header, "evt_1", now)) is not None


def test_we_verify_what_the_reference_library_signs() -> None:
    secret = new_secret()
    now = datetime.now(UTC)
    header = Webhook(secret).sign("msg_1", now, '{"a":1}')

    verified = verify(_headers(header, "msg_1", int(now.timestamp())), b'{"a":1}', secrets=[secret])

    assert verified.webhook_id == "msg_1"


def test_during_rotation_both_secrets_sign_and_either_verifies() -> None:
    old, new = new_secret(), new_secret()
    header = signature_header(MSG_ID, TIMESTAMP, BODY, secrets=[new, old])

    assert len(header.split()) == 2
    assert verify(_headers(header), BODY, secrets=[old], now=TIMESTAMP)
    assert verify(_headers(header), BODY, secrets=[new], now=TIMESTAMP)


def test_ed25519_v1a_signatures_verify_with_the_public_key() -> None:
    private, public = new_signing_key()
    header = signature_header(MSG_ID, TIMESTAMP, BODY, private_keys=[private])

    assert header.startswith("v1a,")
    assert verify(_headers(header), BODY, public_keys=[public], now=TIMESTAMP)
    _, other_public = new_signing_key()
    with pytest.raises(SignatureError):
        verify(_headers(header), BODY, public_keys=[other_public], now=TIMESTAMP)


@pytest.mark.parametrize(
    ("headers", "body", "now", "reason"),
    [
        ({"webhook-id": MSG_ID, "webhook-timestamp": str(TIMESTAMP)}, BODY, TIMESTAMP, "missing header"),
        (_headers(EXPECTED), BODY + b" ", TIMESTAMP, "no signature matches"),
        (_headers(EXPECTED, webhook_id="msg_other"), BODY, TIMESTAMP, "no signature matches"),
        (_headers(EXPECTED), BODY, TIMESTAMP + 301, "more than 300 s"),
        (_headers(EXPECTED), BODY, TIMESTAMP - 301, "more than 300 s"),
        (_headers("v1,bm90IGl0"), BODY, TIMESTAMP, "no signature matches"),
        (_headers("v2," + EXPECTED[3:]), BODY, TIMESTAMP, "no signature matches"),
        (_headers("garbage"), BODY, TIMESTAMP, "no signature matches"),
        ({**_headers(EXPECTED), "webhook-timestamp": "yesterday"}, BODY, TIMESTAMP, "Unix time"),
    ],
    ids=["missing-signature", "body-changed", "id-changed", "timestamp-too-old", "timestamp-too-new",
         "wrong-signature", "unknown-version", "malformed", "timestamp-not-a-number"],
)
def test_failures_say_what_is_wrong(headers: dict[str, str], body: bytes, now: int, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        verify(headers, body, secrets=[SECRET], now=now)


def test_timestamps_just_inside_the_tolerance_pass() -> None:
    assert verify(_headers(EXPECTED), BODY, secrets=[SECRET], now=TIMESTAMP + 300)
    assert verify(_headers(EXPECTED), BODY, secrets=[SECRET], now=TIMESTAMP - 300)


def test_one_matching_signature_among_several_is_enough() -> None:
    header = f"v1,{base64.b64encode(b'x' * 32).decode()} {EXPECTED}"

    assert verify(_headers(header), BODY, secrets=[SECRET], now=TIMESTAMP)


def test_secrets_are_24_to_64_random_bytes_with_the_prefix() -> None:
    secret = new_secret()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
    assert new_secret() != secret
    with pytest.raises(ValueError, match="24 to 64"):
        new_secret(16)
