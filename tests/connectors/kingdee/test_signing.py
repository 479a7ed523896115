"""Signed requests: known-answer vectors derived independently (openssl) from the protocol sheet's formula."""

from __future__ import annotations

import base64

from connectors.erp.kingdee.signing import (
    SigningKeys,
    api_signature,
    api_string_to_sign,
    encode_path,
    kd_signature,
    signed_headers,
)

PATH = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc"
KEYS = SigningKeys(client_id="224299", client_secret="kd-client-secret", app_id="224299_7YbC0dPJ6rCd",
                   app_secret="kd-app-secret", acct_id="6123456", username="integrator", lcid=2052, org_num="100")
NOW = 1714530000

# printf 'POST\n%2Fk3cloud%2F...kdsvc\n\nx-api-nonce:1714530000\nx-api-timestamp:1714530000\n' \
#   | openssl dgst -sha256 -hmac kd-client-secret   -> hex; then base64 of the hex text
API_SIGNATURE = "MDhjZDlmMTE2ZjExOTEwMzFhYjc0ZmI4ZTFkZjBmNGRjYjkyNWFjYWE4MTViNjZkYzVjZDQ1NTFhOGFmOWU4Yg=="
# printf '224299_7YbC0dPJ6rCd6123456,integrator,2052,100' | openssl dgst -sha256 -hmac kd-app-secret -> base64(hex)
KD_SIGNATURE = "OTMxZDg1OTAyMTIxMWE1MGExNDdiMWExMDRkM2VlYWZhMzExNzI4YTYwNGQyMzc5MmEzMGNiNDZkNWI2N2NjOA=="


def test_the_path_is_percent_encoded_with_slashes_as_2f() -> None:
    assert encode_path(PATH) == (
        "%2Fk3cloud%2FKingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc")


def test_the_string_to_sign_follows_the_sheet() -> None:
    assert api_string_to_sign(PATH, "1", "2") == f"POST\n{encode_path(PATH)}\n\nx-api-nonce:1\nx-api-timestamp:2\n"


def test_api_signature_known_answer() -> None:
    assert api_signature("kd-client-secret", PATH, str(NOW), str(NOW)) == API_SIGNATURE


def test_signatures_are_base64_of_the_lowercase_hex_text_not_of_the_digest() -> None:
    decoded = base64.b64decode(API_SIGNATURE).decode()

    assert len(decoded) == 64
    assert decoded == decoded.lower()
    assert decoded == "08cd9f116f1191031ab74fb8e1df0f4dcb925acaa815b66dc5cd4551a8af9e8b"


def test_kd_signature_known_answer() -> None:
    assert kd_signature("kd-app-secret", "224299_7YbC0dPJ6rCd", "6123456,integrator,2052,100") == KD_SIGNATURE


def test_every_header_of_a_signed_call() -> None:
    assert signed_headers(KEYS, PATH, NOW) == {
        "X-Api-ClientID": "224299",
        "X-Api-Auth-Version": "2.0",
        "x-api-timestamp": "1714530000",
        "x-api-nonce": "1714530000",
        "x-api-signheaders": "x-api-timestamp,x-api-nonce",
        "X-Api-Signature": API_SIGNATURE,
        "X-Kd-Appkey": "224299_7YbC0dPJ6rCd",
        "X-Kd-Appdata": "NjEyMzQ1NixpbnRlZ3JhdG9yLDIwNTIsMTAw",  # base64("6123456,integrator,2052,100")
        "X-Kd-Signature": KD_SIGNATURE,
    }


def test_a_different_path_or_time_changes_the_signature() -> None:
    other_path = PATH.replace("ExecuteBillQuery", "Save")

    assert signed_headers(KEYS, other_path, NOW)["X-Api-Signature"] != API_SIGNATURE
    assert signed_headers(KEYS, PATH, NOW + 1)["X-Api-Signature"] != API_SIGNATURE
