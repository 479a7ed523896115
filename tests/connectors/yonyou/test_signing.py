"""The selfAppAuth signature, checked against a vector computed independently (openssl), not by this code."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from connectors.erp.yonyou.signing import TOKEN_PATH, signature, string_to_sign, token_url

# printf 'appKey%stimestamp%s' a3f1c9d2e8b7 1700000000001 \
#   | openssl dgst -sha256 -hmac 'Zx9-secret-7Qm' -binary | base64
APP_KEY, APP_SECRET, TIMESTAMP = "a3f1c9d2e8b7", "Zx9-secret-7Qm", 1700000000001
EXPECTED_BASE64 = "5+UvuRNid3hehNqvvU2v+vnZwbvpy/bh7qjGK4EUAfc="
EXPECTED_IN_URL = "5%2BUvuRNid3hehNqvvU2v%2BvnZwbvpy%2Fbh7qjGK4EUAfc%3D"


def test_the_string_to_sign_is_sorted_names_each_followed_by_its_value() -> None:
    assert string_to_sign({"timestamp": "1700000000001", "appKey": "k"}) == "appKeyktimestamp1700000000001"


def test_the_signature_matches_the_known_answer() -> None:
    assert signature(APP_KEY, APP_SECRET, TIMESTAMP) == EXPECTED_BASE64


def test_the_token_url_carries_the_signature_url_encoded_exactly_once() -> None:
    url = token_url("https://c2.yonyoucloud.com/iuap-api-auth/", APP_KEY, APP_SECRET, TIMESTAMP)

    assert url == ("https://c2.yonyoucloud.com/iuap-api-auth" + TOKEN_PATH
                   + f"?appKey={APP_KEY}&timestamp={TIMESTAMP}&signature={EXPECTED_IN_URL}")
    assert "%25" not in url  # nothing encoded twice
    assert parse_qs(urlsplit(url).query)["signature"] == [EXPECTED_BASE64]  # one decode gives the base64 back


def test_a_different_timestamp_gives_a_different_signature() -> None:
    assert signature(APP_KEY, APP_SECRET, TIMESTAMP + 1) != EXPECTED_BASE64
