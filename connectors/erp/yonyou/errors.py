"""Yonyou's errors as data: what the hub does with each code, and what an admin should do.

Everything this connector raises is one of the hub's exceptions (``hub.errors``)::

    HubError
    ├── RetryableError            HTTP 5xx, timeouts, connection errors: retried with backoff
    │   └── RateLimitedError      310032 / 310039 / 310042 / 310046 (in HTTP 200), HTTP 429: wait, retry
    ├── AuthExpiredError          310001 / 310036 / plain-text 非法token again right after a fresh token
    ├── RecordError
    │   └── VendorRecordError     one pushed customer refused (batch save: code 200 with failCount > 0)
    └── FatalError
        └── VendorError           10018 (appKey unknown or disabled), HTTP 404 / 310404 (unknown path),
                                  any other non-success code, a refused discovery or token call

Success is ``"code": "200"`` (a string) inside HTTP 200 for the business APIs, and
``"code": "00000"`` for data-centre discovery and getAccessToken.
"""

from __future__ import annotations

from typing import Any

from hub.sdk import Action, ErrorRule, ErrorTable

INVALID_TOKEN_TEXT = "非法token"  # noqa: S105 - the vendor's plain-text answer, not a secret
RATE_LIMIT_CODES = ("310032", "310039", "310042", "310046")
RATE_LIMIT_WAIT = 1.0  # seconds; Yonyou sends no Retry-After

APP_KEY_REFUSED = (
    "the appKey is unknown or disabled (10018): check app_key and app_secret in hub.yaml against the "
    "self-built app (自建应用) in the YonBIP open platform, and that the app is enabled for tenant_id"
)
UNKNOWN_PATH = (
    "unknown API path (404 / 310404): this API is not available on the tenant's data centre or edition; "
    "check that the app is authorised for it (接口授权) in the open platform"
)


def code_of(body: Any) -> Any:
    return body.get("code") if isinstance(body, dict) else None


def message_of(body: Any) -> Any:
    if isinstance(body, dict):
        return body.get("message") or body.get("msg")
    if isinstance(body, str):
        return body.strip()[:200]
    return None


def is_plain_text_invalid_token(body: Any) -> bool:
    """Some endpoints answer a rejected token with the bare text 非法token instead of JSON."""
    return isinstance(body, str) and INVALID_TOKEN_TEXT in body


_SHARED = (
    ErrorRule(Action.FAIL, codes={"10018"}, note=APP_KEY_REFUSED),
    ErrorRule(Action.RATE_LIMITED, codes=set(RATE_LIMIT_CODES), wait=RATE_LIMIT_WAIT,
              note="call rate over the tenant's or the API's limit"),
    ErrorRule(Action.RATE_LIMITED, statuses={429}, wait=RATE_LIMIT_WAIT, note="too many requests"),
    ErrorRule(Action.FAIL, statuses={404}, note=UNKNOWN_PATH),
    ErrorRule(Action.FAIL, codes={"310404"}, note=UNKNOWN_PATH),
    # A 5xx may carry a JSON body with a non-success code: it is still a transient server error.
    ErrorRule(Action.RETRY, statuses={500, 502, 503, 504}, note="server error"),
)

API_ERRORS = ErrorTable(
    "yonyou",
    code_of=code_of,
    message_of=message_of,
    ok_codes={"200"},
    rules=[
        ErrorRule(Action.REFRESH_TOKEN, codes={"310001"}, note="the call carried no access_token"),
        ErrorRule(Action.REFRESH_TOKEN, codes={"310036"}, note="access_token invalid or expired"),
        ErrorRule(Action.REFRESH_TOKEN, match=is_plain_text_invalid_token,
                  note="access_token invalid or expired (plain-text 非法token)"),
        *_SHARED,
    ],
)
"""The business APIs under ``{gatewayUrl}/yonbip/...``."""

AUTH_ERRORS = ErrorTable(
    "yonyou",
    code_of=code_of,
    message_of=message_of,
    ok_codes={"00000"},
    rules=list(_SHARED),
)
"""Data-centre discovery and getAccessToken: success is ``"00000"``; any other code fails the call."""
