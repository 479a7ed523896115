"""IMAP and SMTP failures become the hub's exceptions through the error tables: retry, fail, or refuse this mail."""

from __future__ import annotations

import imaplib
import smtplib
import ssl

import pytest

from connectors.mail.errors import IMAP_ERRORS, SMTP_ERRORS, imap_error, smtp_error
from hub.errors import HubError, RetryableError
from hub.sdk import VendorError, VendorRecordError


@pytest.mark.parametrize(("exc", "kind", "words"), [
    (imaplib.IMAP4.error(b"[AUTHENTICATIONFAILED] Authentication failed."), VendorError, "check username"),
    (imaplib.IMAP4.error("NO [NONEXISTENT] Mailbox doesn't exist: Tickets"), VendorError, "mailbox setting"),
    (imaplib.IMAP4.error("NO [UNAVAILABLE] Temporary failure"), RetryableError, "busy"),
    (imaplib.IMAP4.error("NO [INUSE] Mailbox in use"), RetryableError, "busy"),
    (imaplib.IMAP4.abort("socket error: EOF"), RetryableError, "EOF"),
    (ConnectionRefusedError(111, "Connection refused"), RetryableError, "refused"),
    (TimeoutError("timed out"), RetryableError, "timed out"),
    (ssl.SSLCertVerificationError(1, "certificate verify failed"), VendorError, "tls_ca_file"),
    (imaplib.IMAP4.error("BAD Error in IMAP command"), VendorError, "Error in IMAP command"),
    (imaplib.IMAP4.error("NO some other refusal"), VendorError, "some other refusal"),
], ids=["auth", "nonexistent", "unavailable", "inuse", "abort", "refused", "timeout", "tls", "bad", "no"])
def test_imap_failures(exc: Exception, kind: type[HubError], words: str) -> None:
    error = imap_error(exc, what="LOGIN")

    assert type(error) is kind
    assert words in error.message
    assert error.details["vendor"] == "imap"


@pytest.mark.parametrize(("exc", "kind", "words"), [
    (smtplib.SMTPDataError(451, b"4.7.1 Greylisted, try again later"), RetryableError, "Greylisted"),
    (smtplib.SMTPSenderRefused(421, b"Service not available", "a@b.cn"), RetryableError, "not available"),
    (smtplib.SMTPDataError(452, b"Insufficient storage"), RetryableError, "storage"),
    (smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication credentials invalid"), VendorError, "smtp_password"),
    (smtplib.SMTPDataError(530, b"Authentication required"), VendorError, "smtp_username"),
    (smtplib.SMTPRecipientsRefused({"x@b.cn": (550, b"5.1.1 No such user")}), VendorRecordError, "No such user"),
    (smtplib.SMTPRecipientsRefused({"x@b.cn": (450, b"busy"), "y@b.cn": (451, b"later")}), RetryableError, "busy"),
    (smtplib.SMTPRecipientsRefused({"x@b.cn": (450, b"busy"), "y@b.cn": (550, b"gone")}), VendorRecordError, "gone"),
    (smtplib.SMTPDataError(554, b"5.7.1 Message rejected as spam"), VendorRecordError, "spam"),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), RetryableError, "closed"),
    (ConnectionResetError(104, "Connection reset by peer"), RetryableError, "reset"),
    (ssl.SSLCertVerificationError(1, "certificate verify failed"), VendorError, "tls_ca_file"),
    (smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."), VendorError, "STARTTLS or AUTH"),
], ids=["451", "421", "452", "535", "530", "550-rcpt", "all-4xx-rcpt", "mixed-rcpt", "554", "disconnected",
        "reset", "tls", "no-starttls"])
def test_smtp_failures(exc: Exception, kind: type[HubError], words: str) -> None:
    error = smtp_error(exc, what="send mail")

    assert type(error) is kind
    assert words in error.message


def test_every_smtp_4xx_is_transient_and_every_other_5xx_refuses_the_mail() -> None:
    transient = {code for code in range(400, 600) if SMTP_ERRORS.classify(code, {"code": code}).action == "retry"}
    refused = {code for code in range(500, 600) if SMTP_ERRORS.classify(code, {"code": code}).action == "skip_record"}

    assert transient == set(range(400, 500))
    assert refused == set(range(500, 600)) - {530, 534, 535, 538}


def test_imap_rules_cover_every_kind_of_answer() -> None:
    for kind in ("no", "bad", "connection", "tls"):
        assert IMAP_ERRORS.classify(0, {"kind": kind}).action in ("retry", "fail")
