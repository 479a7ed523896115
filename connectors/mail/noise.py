"""Mail that must not become a ticket: auto-replies, bounces, bulk mail, our own mail. Pure functions.

Rules, in order (the first that matches names the reason)::

    Content-Type multipart/report (DSN, read receipt)        bounce / receipt
    From MAILER-DAEMON@ or postmaster@                        bounce
    Auto-Submitted: anything but "no" (RFC 3834)              auto-reply
    X-Autoreply / X-Autorespond / X-Autoreply-From present    auto-reply
    Precedence: bulk | junk | list | auto_reply               bulk
    From our own from_address                                  own mail (a loop guard)
"""

from __future__ import annotations

from connectors.mail.message import ParsedMail

_DAEMONS = frozenset({"mailer-daemon", "postmaster"})
_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-autoreply-from", "x-mail-autoreply")
_BULK = frozenset({"bulk", "junk", "list", "auto_reply"})


def noise_reason(mail: ParsedMail, own_addresses: frozenset[str] = frozenset()) -> str | None:
    """Why this message is not a customer's mail, or None when it should become a ticket or comment."""
    if mail.content_type == "multipart/report":
        return f"delivery or read report (multipart/report; report-type={mail.report_type or '?'})"
    if mail.sender.local_part.lower() in _DAEMONS:
        return f"bounce (from {mail.sender.local_part})"
    auto = mail.headers.get("auto-submitted", "").strip().lower()
    if auto and auto.split(";", 1)[0].strip() != "no":
        return f"automatic mail (Auto-Submitted: {auto})"
    for name in _AUTO_HEADERS:
        if name in mail.headers:
            return f"auto-reply ({name})"
    precedence = mail.headers.get("precedence", "").strip().lower()
    if precedence in _BULK:
        return f"bulk mail (Precedence: {precedence})"
    if mail.sender.email in own_addresses:
        return "sent by this mailbox itself"
    return None
