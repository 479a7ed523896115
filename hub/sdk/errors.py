"""Vendor errors as data: a table from HTTP status and in-body codes to what the hub does.

Every connector declares one :class:`ErrorTable`. The client classifies each
response with it and raises the hub's own exception for the action, so no code
above the connector's edge ever looks at a vendor code::

    WECOM_ERRORS = ErrorTable("wecom", code_of=lambda body: body.get("errcode"), ok_codes={0}, rules=[
        ErrorRule(Action.REFRESH_TOKEN, codes={40001, 40014, 42001}, note="token invalid or expired"),
        ErrorRule(Action.RATE_LIMITED, codes={45009}, wait=60, note="call frequency over the limit"),
        ErrorRule(Action.FAIL, codes={60020}, note="this server's IP is not on the app's allow-list"),
        ErrorRule(Action.RETRY, codes={-1}, note="system busy"),
    ])
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hub.errors import AuthExpiredError, FatalError, HubError, RateLimitedError, RecordError, RetryableError


class Action(StrEnum):
    OK = "ok"
    RETRY = "retry"  # transient: back off and try again
    REFRESH_TOKEN = "refresh_token"  # noqa: S105 - an action name: refresh the credential, then try once more
    RATE_LIMITED = "rate_limited"  # wait (Retry-After or the rule's wait), then try again
    FAIL = "fail"  # stop: configuration or permission problem an admin must fix
    SKIP_RECORD = "skip_record"  # this record (or push) is refused; quarantine it and go on


class VendorError(FatalError):
    """The vendor refused in a way retrying cannot fix (credentials, permissions, allow-lists)."""

    code = "vendor_error"


class VendorRecordError(RecordError):
    """The vendor refused this one record or push (validation, duplicate, missing base data)."""

    code = "vendor_record_error"


@dataclass(frozen=True)
class ErrorRule:
    action: Action
    statuses: Collection[int] = ()  # HTTP statuses this rule matches
    codes: Collection[int | str] = ()  # in-body vendor codes (compared as text)
    match: Callable[[Any], bool] | None = None  # any other condition on the parsed body
    wait: float | None = None  # seconds, for RATE_LIMITED without Retry-After
    note: str = ""  # what it means, for the admin reading the error

    def matches(self, status: int, code: str | None, body: Any) -> bool:
        if self.statuses and status not in self.statuses:
            return False
        if self.codes and (code is None or code not in {str(c) for c in self.codes}):
            return False
        if self.match is not None and not self.match(body):
            return False
        return bool(self.statuses or self.codes or self.match)


@dataclass(frozen=True)
class Verdict:
    action: Action
    status: int
    code: str | None = None
    message: str = ""
    wait: float | None = None


@dataclass(frozen=True)
class ErrorTable:
    vendor: str
    rules: Sequence[ErrorRule] = ()
    code_of: Callable[[Any], Any] = lambda body: None  # the in-body error code, if the vendor has one
    message_of: Callable[[Any], Any] = lambda body: None
    ok_codes: Collection[int | str] = ()  # in-body codes meaning success (WeCom 0, Yonyou "200")
    defaults: dict[str, Action] = field(default_factory=dict)

    def classify(self, status: int, body: Any, retry_after: float | None = None) -> Verdict:
        """What to do with one response. Rules are tried in order; then the HTTP defaults."""
        raw_code = _safe(self.code_of, body)
        code = None if raw_code is None else str(raw_code)
        message = str(_safe(self.message_of, body) or "")
        for rule in self.rules:
            if rule.matches(status, code, body):
                return Verdict(rule.action, status, code, rule.note or message, retry_after or rule.wait)
        if code is not None and self.ok_codes and code not in {str(c) for c in self.ok_codes}:
            return Verdict(Action.FAIL, status, code, message or f"{self.vendor} error code {code}")
        if 200 <= status < 300:
            return Verdict(Action.OK, status, code, message)
        if status == 429:
            return Verdict(Action.RATE_LIMITED, status, code, message or "too many requests", retry_after or 1.0)
        if status in (401,):
            return Verdict(Action.REFRESH_TOKEN, status, code, message or "unauthorized")
        if status in (408, 425, 500, 502, 503, 504) or status >= 520:
            return Verdict(Action.RETRY, status, code, message or f"HTTP {status}", retry_after)
        if 400 <= status < 500:
            return Verdict(Action.FAIL, status, code, message or f"HTTP {status}")
        return Verdict(Action.RETRY, status, code, message or f"HTTP {status}")

    def exception(self, verdict: Verdict, *, what: str) -> HubError:
        """The hub exception for a verdict that is not OK."""
        details = {"vendor": self.vendor, "status": verdict.status, "code": verdict.code, "message": verdict.message}
        text = f"{self.vendor} {what}: " + (
            f"code {verdict.code}: {verdict.message}" if verdict.code else verdict.message or f"HTTP {verdict.status}"
        )
        if verdict.action is Action.RETRY:
            return RetryableError(text, details=details)
        if verdict.action is Action.RATE_LIMITED:
            return RateLimitedError(text, retry_after=verdict.wait, details=details)
        if verdict.action is Action.REFRESH_TOKEN:
            return AuthExpiredError(text, details=details)
        if verdict.action is Action.SKIP_RECORD:
            return VendorRecordError(text, details=details)
        return VendorError(text, details=details)


def _safe(fn: Callable[[Any], Any], body: Any) -> Any:
    try:
        return fn(body)
    except (KeyError, TypeError, AttributeError, IndexError):
        return None
