"""The simulator's front door: the account it accepts, session logins that expire, signature checks.

Sessions (``ValidateUser`` / ``LoginByAppSecret``) live until ``Knobs.session_max_calls``
calls or ``session_ttl_seconds``; signed requests are checked exactly as the connector
signs them (519 ``4002`` on a wrong signature, ``4006`` on a timestamp outside
``signature_tolerance_seconds``, shifted by ``clock_skew_seconds``).
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from connectors.erp.kingdee.signing import api_signature, kd_signature

Reply = tuple[int, Any, dict[str, str]]
SESSION_COOKIE = "kdservice-sessionid"


@dataclass
class Account:
    acct_id: str = "6123456"
    username: str = "integrator"
    password: str = "kd-Passw0rd"  # noqa: S105 - the simulator's test account
    app_id: str = "224299_7YbC0dPJ6rCd"
    app_secret: str = "b4c6d3a45e2f4e0c9a7b1e5d8f2a6c3e"  # noqa: S105
    client_id: str | None = None  # defaults to app_id, as the connector's
    client_secret: str | None = None  # defaults to app_secret


@dataclass
class Knobs:
    """Faults and behaviour switches (set them on ``sim.knobs`` or through ``POST /_sim/knobs``)."""

    latency_ms: float = 0.0  # added to every WebAPI call
    http_500_next: int = 0  # the next N calls answer HTTP 500
    http_500_on_calls: list[int] = field(default_factory=list)  # these call numbers (1-based) answer HTTP 500
    rate_limit_next: int = 0  # the next N calls answer HTTP 429 with Retry-After
    retry_after: int = 1
    gateway_error_next: int = 0  # the next N calls answer 519 {"errcode": 5001}
    session_max_calls: int | None = None  # a session expires after serving N calls
    session_ttl_seconds: float | None = None  # ... or after this long
    lose_save_response_next: int = 0  # Save creates the document, then answers 504 (the answer is lost)
    clock_skew_seconds: float = 0.0  # added to the simulator's clock when checking signature timestamps
    signature_tolerance_seconds: float = 300.0
    success_as_text: bool = False  # IsSuccess as "true"/"false" text, as some versions send it


@dataclass
class Session:
    user: str
    created: float
    calls: int = 0


class Gateway:
    def __init__(self, account: Account, knobs: Knobs) -> None:
        self.account = account
        self.knobs = knobs
        self.sessions: dict[str, Session] = {}
        self.logins = 0

    def login(self, service: str, payload: dict[str, Any]) -> Reply:
        params = payload.get("parameters") or []
        a = self.account
        if service == "ValidateUser":
            ok = params[:3] == [a.acct_id, a.username, a.password]
        else:
            ok = params[:4] == [a.acct_id, a.username, a.app_id, a.app_secret]
        if not params or params[0] != a.acct_id:
            return 200, {"LoginResultType": 0, "Message": "数据中心不存在 (unknown acct_id)",
                         "KDSVCSessionId": None}, {}
        if not ok:
            return 200, {"LoginResultType": 0, "Message": "用户名或密码错误！", "KDSVCSessionId": None}, {}
        self.logins += 1
        sid = secrets.token_hex(16)
        self.sessions[sid] = Session(a.username, time.monotonic())
        body = {"Message": None, "MessageCode": "CheckPasswordPolicy", "LoginResultType": 1,
                "Context": {"UserId": 100008, "UserName": a.username, "DBid": a.acct_id,
                            "UserLocale": "zh-CN", "CurrentOrganizationInfo": {"ID": 1, "Name": "总公司"}},
                "KDSVCSessionId": sid, "IsSuccessByAPI": True}
        return 200, body, {"Set-Cookie": f"{SESSION_COOKIE}={sid}; path=/"}

    def session_alive(self, headers: dict[str, str]) -> bool:
        """Does the cookie name a live session? (Each call counts towards ``session_max_calls``.)"""
        sid = _cookie(headers.get("cookie", ""), SESSION_COOKIE)
        session = self.sessions.get(sid or "")
        k = self.knobs
        if session is not None:
            session.calls += 1
            too_many = k.session_max_calls is not None and session.calls > k.session_max_calls
            too_old = k.session_ttl_seconds is not None and time.monotonic() - session.created > k.session_ttl_seconds
            if not (too_many or too_old):
                return True
            del self.sessions[sid or ""]
        return False

    def verify_signature(self, path: str, headers: dict[str, str]) -> Reply | None:
        a = self.account
        client_id, client_secret = a.client_id or a.app_id, a.client_secret or a.app_secret
        timestamp, nonce = headers.get("x-api-timestamp", ""), headers.get("x-api-nonce", "")
        refused: Reply = (519, {"errcode": 4002, "description": "签名验证失败 (signature check failed)"}, {})
        if not timestamp.isdigit():
            return refused
        now = time.time() + self.knobs.clock_skew_seconds
        if abs(now - int(timestamp)) > self.knobs.signature_tolerance_seconds:
            return 519, {"errcode": 4006, "description": "时间戳已过期 (timestamp expired)"}, {}
        try:
            data = base64.b64decode(headers.get("x-kd-appdata", "")).decode()
        except (ValueError, UnicodeDecodeError):
            return refused
        expected = (
            headers.get("x-api-clientid") == client_id
            and headers.get("x-api-auth-version") == "2.0"
            and headers.get("x-api-signheaders") == "x-api-timestamp,x-api-nonce"
            and headers.get("x-api-signature") == api_signature(client_secret, path, nonce, timestamp)
            and headers.get("x-kd-appkey") == a.app_id
            and headers.get("x-kd-signature") == kd_signature(a.app_secret, a.app_id, data)
            and data.split(",")[:2] == [a.acct_id, a.username]
        )
        return None if expected else refused


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
