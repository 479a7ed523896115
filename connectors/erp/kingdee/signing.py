"""Signed requests (the current K3 Cloud SDK's way): the X-Api-* and X-Kd-* headers. Pure functions.

Both signatures are ``base64(hex(HMAC_SHA256(secret, message)))``: base64 of the
lowercase hex *text*, not of the raw digest.

- ``X-Api-Signature`` signs ``"POST\\n" + path + "\\n\\nx-api-nonce:" + nonce +
  "\\nx-api-timestamp:" + ts + "\\n"`` with the client secret; the path is
  percent-encoded with ``/`` as ``%2F``.
- ``X-Kd-Signature`` signs ``app_id + app_data`` with the app secret, where app_data
  is ``"{acct_id},{username},{lcid},{org_num}"`` (``X-Kd-Appdata`` is its base64).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote

AUTH_VERSION = "2.0"
SIGNED_HEADERS = "x-api-timestamp,x-api-nonce"


def _b64_hex_hmac(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return base64.b64encode(digest.encode()).decode()


def encode_path(path: str) -> str:
    """``/k3cloud/X.common.kdsvc`` -> ``%2Fk3cloud%2FX.common.kdsvc``."""
    return quote(path, safe="")


def api_string_to_sign(path: str, nonce: str, timestamp: str) -> str:
    return f"POST\n{encode_path(path)}\n\nx-api-nonce:{nonce}\nx-api-timestamp:{timestamp}\n"


def api_signature(client_secret: str, path: str, nonce: str, timestamp: str) -> str:
    return _b64_hex_hmac(client_secret, api_string_to_sign(path, nonce, timestamp))


def app_data(acct_id: str, username: str, lcid: int, org_num: str) -> str:
    return f"{acct_id},{username},{lcid},{org_num}"


def kd_signature(app_secret: str, app_id: str, data: str) -> str:
    return _b64_hex_hmac(app_secret, app_id + data)


@dataclass(frozen=True)
class SigningKeys:
    client_id: str
    client_secret: str
    app_id: str
    app_secret: str
    acct_id: str
    username: str
    lcid: int
    org_num: str


def signed_headers(keys: SigningKeys, path: str, now: int) -> dict[str, str]:
    """Every header a signed call carries; ``now`` is Unix seconds (also used as the nonce, as the SDK does)."""
    timestamp = nonce = str(now)
    data = app_data(keys.acct_id, keys.username, keys.lcid, keys.org_num)
    return {
        "X-Api-ClientID": keys.client_id,
        "X-Api-Auth-Version": AUTH_VERSION,
        "x-api-timestamp": timestamp,
        "x-api-nonce": nonce,
        "x-api-signheaders": SIGNED_HEADERS,
        "X-Api-Signature": api_signature(keys.client_secret, path, nonce, timestamp),
        "X-Kd-Appkey": keys.app_id,
        "X-Kd-Appdata": base64.b64encode(data.encode()).decode(),
        "X-Kd-Signature": kd_signature(keys.app_secret, keys.app_id, data),
    }
