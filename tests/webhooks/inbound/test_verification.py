"""Every way a request fails its source's verification: 401 with the JSON error saying what is wrong."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from hub.errors import ConfigError
from hub.workspace.config import VerifyConfig
from tests.webhooks.inbound.helpers import (
    CRM_SECRET,
    ERP_KEY,
    GIT_SECRET,
    SHOP_SECRET,
    crm_headers,
    erp_headers,
    github_headers,
    order,
    standard_headers,
    stored,
)
from webhooks.inbound.errors import VerificationError
from webhooks.inbound.verification import verify_request
from webhooks.signatures import SignatureError

BODY = order("SO-1")
OTHER_SECRET = "whsec_" + base64.b64encode(b"another-secret-of-32-bytes-long!").decode()


def _without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() != name.lower()}


def _with(headers: dict[str, str], **changes: str) -> dict[str, str]:
    return {**headers, **{k.replace("_", "-"): v for k, v in changes.items()}}


def _hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# Timestamped headers are built when each test runs: one taken at collection is minutes old by then.
CASES: list[tuple[str, dict[str, str] | Callable[[], dict[str, str]], bytes, str]] = [
    # standard-webhooks
    ("shop", lambda: _without(standard_headers(BODY, "m1"), "webhook-id"), BODY, "missing header(s): webhook-id"),
    ("shop", lambda: _without(standard_headers(BODY, "m1"), "webhook-timestamp"),
     BODY, "missing header(s): webhook-timestamp"),
    ("shop", lambda: _without(standard_headers(BODY, "m1"), "webhook-signature"),
     BODY, "missing header(s): webhook-signature"),
    ("shop", lambda: standard_headers(BODY, "m1", secret=OTHER_SECRET), BODY, "no signature matches"),
    ("shop", lambda: standard_headers(BODY, "m1"), order("SO-1", amount="99.00"), "no signature matches"),
    ("shop", lambda: standard_headers(BODY, "m1", timestamp=int(time.time()) - 301), BODY, "more than 300 s"),
    ("shop", lambda: standard_headers(BODY, "m1", timestamp=int(time.time()) + 3600), BODY, "more than 300 s"),
    ("shop", lambda: _with(standard_headers(BODY, "m1"), webhook_timestamp="yesterday"), BODY, "not a Unix time"),
    # hmac-sha256, GitHub style: hex with the prefix sha256=
    ("git", _without(github_headers(BODY, "d1"), "X-Hub-Signature-256"), BODY, "missing header X-Hub-Signature-256"),
    ("git", github_headers(BODY, "d1", secret="wrong"), BODY, "X-Hub-Signature-256 signature does not match"),
    ("git", {"X-Hub-Signature-256": _hex(GIT_SECRET, BODY)}, BODY, "does not start with 'sha256='"),
    ("git", {"X-Hub-Signature-256": "sha1=" + _hex(GIT_SECRET, BODY)}, BODY, "does not start with 'sha256='"),
    ("git", {"X-Hub-Signature-256": "sha256=zz" + _hex(GIT_SECRET, BODY)[2:]}, BODY, "signature is not hex"),
    ("git", {"X-Hub-Signature-256": "sha256=" + _hex(GIT_SECRET, BODY)[:40]}, BODY, "not a 32-byte SHA-256 digest"),
    ("git", github_headers(BODY, "d1"), order("SO-2"), "signature does not match"),
    # hmac-sha256, base64
    ("crm", {"X-Signature": _hex(CRM_SECRET, BODY)}, BODY, "not a 32-byte SHA-256 digest written in base64"),
    ("crm", {"X-Signature": "%%%not-base64%%%"}, BODY, "signature is not base64"),
    ("crm", crm_headers(BODY, secret="wrong"), BODY, "X-Signature signature does not match"),
    ("crm", {}, BODY, "missing header X-Signature"),
    # api-key
    ("erp", {}, BODY, "missing header X-API-Key"),
    ("erp", erp_headers("wrong-key"), BODY, "X-API-Key header does not carry the source's key"),
    ("erp", erp_headers(ERP_KEY[:-1]), BODY, "X-API-Key header does not carry the source's key"),
]
IDS = [
    "sw-no-id", "sw-no-timestamp", "sw-no-signature", "sw-wrong-secret", "sw-body-changed", "sw-stale",
    "sw-future", "sw-timestamp-not-a-number",
    "gh-no-header", "gh-wrong-secret", "gh-no-prefix", "gh-wrong-prefix", "gh-not-hex", "gh-short-digest",
    "gh-body-changed",
    "b64-hex-instead", "b64-garbage", "b64-wrong-secret", "b64-no-header",
    "key-missing", "key-wrong", "key-prefix-of-the-key",
]


@pytest.mark.parametrize(("source", "headers", "body", "reason"), CASES, ids=IDS)
def test_verification_failure_is_401_saying_what_is_wrong(
    client: TestClient, source: str, headers: dict[str, str] | Callable[[], dict[str, str]], body: bytes, reason: str
) -> None:
    response = client.post(f"/webhooks/in/{source}", content=body, headers=headers() if callable(headers) else headers)

    assert response.status_code == 401
    error = response.json()["error"]
    assert reason in error["message"]
    assert error["code"] in ("invalid_signature", "verification_failed")
    for secret in (SHOP_SECRET, GIT_SECRET, CRM_SECRET, ERP_KEY, _hex(GIT_SECRET, body)):
        assert secret not in response.text


def test_a_failed_verification_stores_nothing(client: TestClient) -> None:
    client.post("/webhooks/in/erp", content=BODY, headers=erp_headers("wrong"))

    assert stored(client.app.state.hub.engine) == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("source", "sign"),
    [  # signed when the test runs: a timestamp taken at collection is minutes old by then
        ("shop", lambda: standard_headers(BODY, "m-ok")),
        ("git", lambda: github_headers(BODY, "d-ok")),
        ("crm", lambda: crm_headers(BODY)),
        ("erp", lambda: erp_headers()),
    ],
    ids=["standard-webhooks", "hmac-hex-prefix", "hmac-base64", "api-key"],
)
def test_a_correctly_signed_request_is_accepted(
    client: TestClient, source: str, sign: Callable[[], dict[str, str]]
) -> None:
    response = client.post(f"/webhooks/in/{source}", content=BODY, headers=sign())

    assert response.status_code == 202, response.text
    assert response.json()["id"].startswith("in_")


def _verify(**config: Any) -> VerifyConfig:
    return TypeAdapter(VerifyConfig).validate_python(config)


class TestVerifyRequest:
    def test_standard_webhooks_returns_the_webhook_id(self) -> None:
        config = _verify(scheme="standard-webhooks", secret=SHOP_SECRET)

        assert verify_request(config, standard_headers(BODY, "msg_42"), BODY) == "msg_42"

    def test_standard_webhooks_tolerance_is_configurable(self) -> None:
        config = _verify(scheme="standard-webhooks", secret=SHOP_SECRET, tolerance=30)
        headers = standard_headers(BODY, "m", timestamp=1_000_000)

        assert verify_request(config, headers, BODY, now=1_000_030) == "m"
        with pytest.raises(SignatureError, match="more than 30 s"):
            verify_request(config, headers, BODY, now=1_000_031)

    def test_hmac_hex_digest_compares_case_insensitively(self) -> None:
        config = _verify(scheme="hmac-sha256", secret=GIT_SECRET, header="X-Sig")

        assert verify_request(config, {"X-Sig": _hex(GIT_SECRET, BODY).upper()}, BODY) is None

    def test_api_key_with_a_prefix(self) -> None:
        config = _verify(scheme="api-key", secret=ERP_KEY, header="Authorization", prefix="Bearer ")

        assert verify_request(config, {"Authorization": f"Bearer {ERP_KEY}"}, BODY) is None
        with pytest.raises(VerificationError, match="does not start with 'Bearer '"):
            verify_request(config, {"Authorization": ERP_KEY}, BODY)

    def test_a_standard_webhooks_secret_that_is_not_whsec_is_a_configuration_error(self) -> None:
        config = _verify(scheme="standard-webhooks", secret="whsec_%%%")

        with pytest.raises(ConfigError, match="whsec_ followed by base64"):
            verify_request(config, standard_headers(BODY, "m"), BODY)


ROTATION_CASES = [
    ("standard-webhooks", None, lambda secret: standard_headers(BODY, "m1", secret=secret)),
    ("hmac-sha256", "X-Signature", lambda secret: {"X-Signature": _hex(secret, BODY)}),
    ("api-key", "X-API-Key", lambda secret: {"X-API-Key": secret}),
]


@pytest.mark.parametrize(("scheme", "header", "sign"), ROTATION_CASES, ids=[c[0] for c in ROTATION_CASES])
def test_during_a_rotation_the_previous_secret_is_accepted_too_and_nothing_else(
    scheme: str, header: str | None, sign: Any
) -> None:
    new, old, stranger = (SHOP_SECRET, OTHER_SECRET, "whsec_" + base64.b64encode(b"x" * 32).decode())
    if scheme != "standard-webhooks":
        new, old, stranger = "new-secret", "old-secret", "some-other-secret"
    rotating = TypeAdapter(VerifyConfig).validate_python({"scheme": scheme, "secret": new, "previous_secret": old})
    settled = TypeAdapter(VerifyConfig).validate_python({"scheme": scheme, "secret": new})

    verify_request(rotating, sign(new), BODY)
    verify_request(rotating, sign(old), BODY)  # the sender has not switched yet
    with pytest.raises((VerificationError, SignatureError)):
        verify_request(rotating, sign(stranger), BODY)
    with pytest.raises((VerificationError, SignatureError)):
        verify_request(settled, sign(old), BODY)  # once previous_secret is removed, the old one is refused
