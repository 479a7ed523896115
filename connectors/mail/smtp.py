"""Sending one message with the standard library's ``smtplib`` (blocking: run it in a thread).

``smtp_security``: ``ssl`` is TLS from the first byte (port 465), ``starttls`` upgrades a
plain connection and refuses to go on when the server does not offer STARTTLS (so a
password is never sent in the clear by accident), ``none`` is for a relay on a trusted
network. Certificates and host names are always checked (``tls_ca_file`` for a private
CA). AUTH is used whenever the server offers it and credentials are set. Failures leave
as the hub's exceptions through ``errors.smtp_error``.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from connectors.mail.errors import smtp_error
from connectors.mail.imap import tls_context
from connectors.mail.settings import MailSettings


def send_message(settings: MailSettings, message: EmailMessage, envelope_from: str,
                 recipients: list[str]) -> dict[str, tuple[int, str]]:
    """Send; returns the recipients the server refused while accepting the others."""
    client: smtplib.SMTP | None = None
    try:
        client = _connect(settings)
        refused = client.send_message(message, from_addr=envelope_from, to_addrs=recipients)
        return {addr: (code, text.decode("utf-8", "replace")) for addr, (code, text) in refused.items()}
    except Exception as exc:
        raise smtp_error(exc, what="send mail") from exc
    finally:
        _close(client)


def check_smtp(settings: MailSettings) -> dict[str, Any]:
    """Connect, secure and log in as a send would, then NOOP: nothing is sent."""
    client: smtplib.SMTP | None = None
    try:
        client = _connect(settings)
        client.noop()
        authenticated = settings.smtp_login is not None and client.has_extn("auth")
    except Exception as exc:
        raise smtp_error(exc, what="connect") from exc
    finally:
        _close(client)
    where = f"{settings.smtp_host}:{settings.effective_smtp_port}"
    return {"summary": f"{where} answers ({settings.smtp_security}{', logged in' if authenticated else ''})"}


def _connect(settings: MailSettings) -> smtplib.SMTP:
    assert settings.smtp_host is not None
    host, port = settings.smtp_host, settings.effective_smtp_port
    client: smtplib.SMTP
    if settings.smtp_security == "ssl":
        client = smtplib.SMTP_SSL(host, port, timeout=settings.timeout, context=tls_context(settings))
    else:
        client = smtplib.SMTP(host, port, timeout=settings.timeout)
    try:
        client.ehlo()
        if settings.smtp_security == "starttls":
            if not client.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS (smtp_security: starttls)")
            client.starttls(context=tls_context(settings))
            client.ehlo()
        login = settings.smtp_login
        if login is not None and client.has_extn("auth"):
            client.login(*login)
    except BaseException:
        _close(client)
        raise
    return client


def _close(client: smtplib.SMTP | None) -> None:
    if client is None:
        return
    try:
        client.quit()
    except Exception:  # the message is sent or the error raised: closing is best effort
        client.close()
