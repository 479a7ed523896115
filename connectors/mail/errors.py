"""What IMAP and SMTP answers mean, as data: the connector's error tables.

Every failure of imaplib or smtplib is translated here, at the edge, into the hub's
exceptions; nothing above this module looks at a reply code::

    IMAP
      NO [AUTHENTICATIONFAILED] / [AUTHORIZATIONFAILED]   FAIL: username or password is wrong
      NO on SELECT, NO [NONEXISTENT]                    FAIL: the mailbox setting names no folder
      NO [UNAVAILABLE] / [INUSE] / [LIMIT] / [SERVERBUG] RETRY: the server is busy
      any other NO, BAD                                 FAIL: the server refused, with its words
      connection refused, dropped, timed out            RETRY
      certificate not trusted                           FAIL: set tls_ca_file, or fix the server's certificate
    SMTP (status = reply code)
      4xx (421 busy, 450/451 greylisted, 452 full)      RETRY: the delivery machinery tries again later
      530, 534, 535, 538                                FAIL: authentication (smtp_username/smtp_password)
      other 5xx (550 no such user, 552, 553, 554)       SKIP_RECORD: this mail is refused for good
      connection refused, dropped, timed out            RETRY
      certificate not trusted                           FAIL
"""

from __future__ import annotations

import imaplib
import re
import smtplib
import socket
import ssl
from typing import Any

from hub.errors import HubError
from hub.sdk import Action, ErrorRule, ErrorTable

_CODE = re.compile(r"\[([A-Z-]+)")


def _kind(kind: str) -> Any:
    return lambda body: isinstance(body, dict) and body.get("kind") == kind


IMAP_ERRORS = ErrorTable(
    "imap",
    code_of=lambda body: body.get("code"),
    message_of=lambda body: body.get("message"),
    rules=[
        ErrorRule(Action.FAIL, codes={"AUTHENTICATIONFAILED", "AUTHORIZATIONFAILED"},
                  note="login refused: check username and password (some providers want an app password)"),
        ErrorRule(Action.FAIL, codes={"NONEXISTENT"},
                  note="the mailbox cannot be opened (no such folder?): check the mailbox setting"),
        ErrorRule(Action.RETRY, codes={"UNAVAILABLE", "INUSE", "LIMIT", "SERVERBUG"}, note="the server is busy"),
        ErrorRule(Action.RETRY, match=_kind("connection")),
        ErrorRule(Action.FAIL, match=_kind("tls"),
                  note="the server's TLS certificate is not trusted: set tls_ca_file to your CA, or fix the "
                       "certificate (its name must match imap_host)"),
        ErrorRule(Action.FAIL, match=lambda body: isinstance(body, dict) and body.get("kind") in ("no", "bad")),
    ],
)

SMTP_ERRORS = ErrorTable(
    "smtp",
    code_of=lambda body: body.get("code"),
    message_of=lambda body: body.get("message"),
    rules=[
        ErrorRule(Action.RETRY, match=_kind("connection")),
        ErrorRule(Action.FAIL, match=_kind("tls"),
                  note="the SMTP server's TLS certificate is not trusted: set tls_ca_file, or fix the certificate"),
        ErrorRule(Action.FAIL, match=_kind("unsupported"),
                  note="the server does not offer what smtp_security needs (STARTTLS or AUTH)"),
        ErrorRule(Action.RETRY, statuses=range(400, 500)),
        ErrorRule(Action.FAIL, statuses={530, 534, 535, 538},
                  note="authentication refused: check smtp_username and smtp_password (or an app password)"),
        ErrorRule(Action.SKIP_RECORD, statuses=range(500, 600)),
    ],
)


def imap_error(exc: BaseException, *, what: str) -> HubError:
    """The hub exception for an imaplib/socket/TLS failure."""
    if isinstance(exc, HubError):
        return exc
    body: dict[str, Any]
    if isinstance(exc, ssl.SSLCertVerificationError):
        body = {"kind": "tls", "message": str(exc)}
    elif isinstance(exc, imaplib.IMAP4.abort | OSError | socket.timeout | EOFError):
        body = {"kind": "connection", "message": f"{type(exc).__name__}: {exc}"}
    else:
        text = _text(exc)
        code = _CODE.search(text)
        kind = "bad" if text.upper().startswith("BAD") else "no"
        body = {"kind": kind, "code": code.group(1) if code else None, "message": text}
    verdict = IMAP_ERRORS.classify(0, body)
    return IMAP_ERRORS.exception(verdict, what=what)


def smtp_error(exc: BaseException, *, what: str) -> HubError:
    """The hub exception for an smtplib/socket/TLS failure (reply codes through SMTP_ERRORS)."""
    if isinstance(exc, HubError):
        return exc
    status = 0
    body: dict[str, Any] = {"kind": "connection", "message": f"{type(exc).__name__}: {exc}"}
    if isinstance(exc, ssl.SSLCertVerificationError):
        body = {"kind": "tls", "message": str(exc)}
    elif isinstance(exc, smtplib.SMTPNotSupportedError):
        body = {"kind": "unsupported", "message": str(exc)}
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = {addr: (code, _text(msg)) for addr, (code, msg) in exc.recipients.items()}
        codes = [code for code, _ in refused.values()]
        status = min(codes) if all(400 <= c < 500 for c in codes) else next(c for c in codes if c >= 500)
        body = {"code": status, "message": "; ".join(f"{a}: {c} {m}" for a, (c, m) in refused.items())}
    elif isinstance(exc, smtplib.SMTPResponseException):
        status = exc.smtp_code
        body = {"code": status, "message": _text(exc.smtp_error)}
    elif isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
        pass  # a connection problem: retried
    elif isinstance(exc, smtplib.SMTPException):
        body = {"kind": "unsupported", "message": str(exc)}
    verdict = SMTP_ERRORS.classify(status, body)
    return SMTP_ERRORS.exception(verdict, what=what)


def _text(value: Any) -> str:
    if isinstance(value, BaseException):
        value = value.args[0] if value.args else str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
