"""The simulator's front door: the account it accepts, both token generations, and the fault knobs.

Tokens of the two generations are kept apart (a v1.0 accessToken is refused by the old API
and the other way round): stricter than DingTalk, so a connector that mixes them up fails here.
A token expires after ``token_lifetime`` seconds, or early after ``token_max_calls`` calls, or
when a test calls ``expire_tokens()``. An expired token is answered as DingTalk does:

    v1.0   HTTP ``new_expiry_status`` (400, some deployments 401) {"code": "InvalidAuthentication"}
    old    HTTP 200 {"errcode": 88, "sub_code": "40014"}  (old_expiry "sub_code", topapi)
           HTTP 200 {"errcode": 40014}                     (old_expiry "errcode")
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Reply = tuple[int, Any, dict[str, str]]

NEW = "v1.0"
OLD = "oapi"


@dataclass
class Account:
    app_key: str = "dingsim7x2k9q4mzr5t"
    app_secret: str = "Sim-AppSecret_b7Yc2dQe9F4gH1jK6LmN3pRs8TuVw0Xz5AbCdEfGhIj"  # noqa: S105 - test account
    agent_id: int = 2_718_281_828
    corp_id: str = "dingcorp5e8f1a2b3c4d"
    robot_access_token: str = "b2f1c9e4d7a65038f1e2d3c4b5a69788e7f6d5c4b3a29180f1e2d3c4b5a69788"  # noqa: S105
    robot_secret: str = "SEC5a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6"  # noqa: S105
    callback_token: str = "sim-callback-token-20240506"  # noqa: S105
    aes_key: str = "k2V3wS8nQ5mR7tY1uI9oP3aS5dF7gH1jK3lZ5xC7vB9"
    # callbacks are sealed for the app key (app event subscription), like DingTalk's current console


@dataclass
class Knobs:
    """Faults and behaviour switches (set them on ``sim.knobs`` or through ``POST /_sim/knobs``)."""

    latency_ms: float = 0.0  # added to every call
    token_lifetime: int = 7200  # seconds, as expireIn / expires_in say
    token_max_calls: int | None = None  # a token is refused after serving N calls (expires early)
    old_expiry: str = "sub_code"  # "sub_code": errcode 88 + sub_code 40014 (topapi); "errcode": errcode 40014
    new_expiry_status: int = 400  # InvalidAuthentication comes with 400, or 401 on some deployments
    throttle_new_next: int = 0  # the next N v1.0 calls: 403 Forbidden.AccessDenied.QpsLimitForAppkeyAndApi
    throttle_old_next: int = 0  # the next N old calls: errcode 90018 (old_throttle_code)
    old_throttle_code: int = 90018  # or 90002 (the API's global limit)
    http_429_next: int = 0  # the next N calls (either host): HTTP 429 with Retry-After: 1
    http_500_next: int = 0  # the next N calls (either host): HTTP 500
    quota_exhausted: bool = False  # v1.0: 403 ApiCountLimitForOrg; old: errcode 90020
    robot_per_minute: int = 20  # over this many messages in 60 s: errcode 660026
    robot_keywords: list[str] = field(default_factory=list)  # the robot's 自定义关键词: one must be in the text
    lose_create_answer_next: int = 0  # to-do / approval creation succeeds, then answers HTTP 504


@dataclass
class Token:
    generation: str
    expires_at: float
    calls: int = 0


class Gateway:
    def __init__(self, account: Account, knobs: Knobs, clock: Callable[[], float]) -> None:
        self.account = account
        self.knobs = knobs
        self.clock = clock
        self.tokens: dict[str, Token] = {}
        self.issued = {NEW: 0, OLD: 0}

    def issue(self, generation: str) -> tuple[str, int]:
        self.issued[generation] += 1
        token = secrets.token_hex(16)
        self.tokens[token] = Token(generation, self.clock() + self.knobs.token_lifetime)
        return token, self.knobs.token_lifetime

    def expire_tokens(self) -> None:
        """Every token issued so far is refused from now on (DingTalk revoking them early)."""
        self.tokens.clear()

    def new_token(self, body: Any) -> Reply:
        a = self.account
        if not isinstance(body, dict) or body.get("appKey") != a.app_key or body.get("appSecret") != a.app_secret:
            return 400, {"code": "invalidClientIdOrSecret", "message": "无效的clientId或者clientSecret",
                         "requestid": secrets.token_hex(8)}, {}
        token, lifetime = self.issue(NEW)
        return 200, {"accessToken": token, "expireIn": lifetime}, {}

    def old_token(self, query: dict[str, str]) -> Reply:
        a = self.account
        if query.get("appkey") != a.app_key or query.get("appsecret") != a.app_secret:
            return 200, {"errcode": 40096, "errmsg": "不合法的appKey或appSecret"}, {}
        token, lifetime = self.issue(OLD)
        return 200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": lifetime}, {}

    def _valid(self, token: str | None, generation: str) -> bool:
        found = self.tokens.get(token or "")
        if found is None or found.generation != generation or found.expires_at <= self.clock():
            return False
        if self.knobs.token_max_calls is not None and found.calls >= self.knobs.token_max_calls:
            return False
        found.calls += 1
        return True

    def check_new(self, headers: dict[str, str]) -> Reply | None:
        """None when the call may proceed; else DingTalk's answer (faults first, then the token)."""
        fault = self._common_fault()
        if fault is not None:
            return fault
        if not self._valid(headers.get("x-acs-dingtalk-access-token"), NEW):
            return self.knobs.new_expiry_status, {"code": "InvalidAuthentication", "message": "不合法的access_token",
                                                  "requestid": secrets.token_hex(8)}, {}
        if self.knobs.quota_exhausted:
            return 403, {"code": "Forbidden.AccessDenied.ApiCountLimitForOrg",
                         "message": "企业当月调用量已超过限额"}, {}
        if self.knobs.throttle_new_next > 0:
            self.knobs.throttle_new_next -= 1
            return 403, {"code": "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
                         "message": "应用调用该接口的频率超过限制"}, {}
        return None

    def check_old(self, query: dict[str, str]) -> Reply | None:
        fault = self._common_fault()
        if fault is not None:
            return fault
        if not self._valid(query.get("access_token"), OLD):
            if self.knobs.old_expiry == "errcode":
                return 200, {"errcode": 40014, "errmsg": "不合法的access_token"}, {}
            return 200, {"errcode": 88, "errmsg": "ding talk error[subcode=40014,submsg=不合法的access_token]",
                         "sub_code": "40014", "sub_msg": "不合法的access_token"}, {}
        if self.knobs.quota_exhausted:
            return 200, {"errcode": 90020, "errmsg": "企业当月调用量已超过限额"}, {}
        if self.knobs.throttle_old_next > 0:
            self.knobs.throttle_old_next -= 1
            code = self.knobs.old_throttle_code
            message = "访问频率超过限制" if code == 90018 else "接口全局调用频率超过限制"
            return 200, {"errcode": code, "errmsg": message}, {}
        return None

    def _common_fault(self) -> Reply | None:
        if self.knobs.http_500_next > 0:
            self.knobs.http_500_next -= 1
            return 500, {"code": "ServiceUnavailable", "message": "服务暂不可用"}, {}
        if self.knobs.http_429_next > 0:
            self.knobs.http_429_next -= 1
            return 429, {"code": "Throttling", "message": "Too Many Requests"}, {"Retry-After": "1"}
        return None
