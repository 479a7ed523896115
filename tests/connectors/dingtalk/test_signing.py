"""The custom robot's 加签 signature: a known computation, the URL it makes, and the simulator's check."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote_plus

import httpx

from connectors.dingtalk.signing import robot_query, robot_sign, robot_signature

SECRET = "SEC1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80"
TIMESTAMP = 1_700_000_000_000
# Pinned: computed once outside the connector from the formula DingTalk publishes (HMAC-SHA256, key = the
# secret, message = "<timestamp>\n<secret>", base64). It holds a "+", which the URL must carry as %2B.
EXPECTED = "u19joBUOoewy9MvHsBcEDbXqR4iH+HyqSaD3XQfbFS4="


def test_the_signature_is_base64_of_hmac_sha256_of_timestamp_newline_secret() -> None:
    by_hand = base64.b64encode(hmac.new(SECRET.encode(), f"{TIMESTAMP}\n{SECRET}".encode(), hashlib.sha256).digest())

    assert robot_signature(SECRET, TIMESTAMP) == by_hand.decode() == EXPECTED


def test_the_sign_parameter_is_url_encoded() -> None:
    assert robot_sign(SECRET, TIMESTAMP) == quote_plus(EXPECTED)
    assert "%2B" in robot_sign(SECRET, TIMESTAMP)
    assert robot_sign(SECRET, TIMESTAMP).endswith("%3D")


def test_the_request_url_carries_exactly_the_url_encoded_sign_once() -> None:
    url = httpx.URL("https://oapi.dingtalk.com/robot/send", params=robot_query("tok", SECRET, TIMESTAMP))

    assert url.query.decode() == f"access_token=tok&timestamp={TIMESTAMP}&sign={quote_plus(EXPECTED)}"


def test_without_a_secret_only_the_access_token_is_sent() -> None:
    assert robot_query("tok", None, TIMESTAMP) == {"access_token": "tok"}
