"""Outgoing mail: the push record checked, the template rendered, the MIME message built. Pure functions.

Threading: the Message-ID is derived from the push's idempotency key (the same key always
gives the same id, so a retried push is recognisable by the Sent folder and by the
recipient's client); ``In-Reply-To`` is the thread's newest message and ``References``
the thread (the first id and the latest ones, so the header stays short); the subject
keeps the ticket token ``[#ref]`` as a last resort for clients that drop both headers.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.mail.message import message_ids
from connectors.mail.templates import Rendered, TemplateSet
from hub.errors import RecordError

MAX_REFERENCES = 12
SMTP_POLICY = policy.SMTP.clone(cte_type="7bit", max_line_length=78)  # no 8BITMIME needed anywhere
DEFAULT_TEMPLATES = {"reply": "ticket_reply", "notice": "notice"}


class OutgoingMail(BaseModel):
    """What a push of action ``reply`` or ``notice`` accepts (other keys, e.g. from a reversed ticket, are ignored)."""

    model_config = ConfigDict(extra="ignore")

    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    bcc: list[str] = Field(default_factory=list)
    template: str | None = None
    language: Literal["zh", "en"] | None = None
    subject: str | None = None
    body: str | None = None
    ticket_ref: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    in_reply_to: str | None = None
    references: list[str] = Field(default_factory=list)
    message_ids: list[str] = Field(default_factory=list)  # a reversed ticket's thread
    mail: dict[str, Any] | None = None  # a reversed ticket's attributes: requester is the default recipient

    @field_validator("to", "cc", "bcc", "references", "message_ids", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def parse_outgoing(record: dict[str, Any], action: str) -> OutgoingMail:
    try:
        mail = OutgoingMail.model_validate(record)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise RecordError(f"mail {action}: the record is not a mail to send: {problems}") from None
    if not mail.to and mail.mail and isinstance(mail.mail.get("requester"), dict):
        mail.to = [str(mail.mail["requester"].get("email") or "")]
    if not [a for a in mail.to if a]:
        raise RecordError(f"mail {action}: no recipient: give to (or a ticket whose mail.requester is known)")
    return mail


def recipients(values: list[str]) -> list[HeaderAddress]:
    found: list[HeaderAddress] = []
    for name, addr in getaddresses(values):
        if "@" not in addr:
            raise RecordError(f"{addr or name!r} is not an e-mail address")
        local, _, domain = addr.partition("@")
        found.append(HeaderAddress(display_name=name, username=local, domain=domain))
    return found


def message_id_for(idempotency_key: str, *, connector: str, from_domain: str) -> str:
    """The same key (on the same connector) always gives the same Message-ID."""
    digest = hashlib.sha256(f"{connector}\x00{idempotency_key}".encode()).hexdigest()[:40]
    return f"<hub.{digest}@{from_domain}>"


def thread_headers(mail: OutgoingMail) -> tuple[str | None, list[str]]:
    """In-Reply-To and References for a reply into a thread (oldest first)."""
    chain = [f"<{i}>" for value in (*mail.message_ids, *mail.references) for i in message_ids(value)]
    chain = list(dict.fromkeys(chain))
    parent = next((f"<{i}>" for i in message_ids(mail.in_reply_to or "")), None) or (chain[-1] if chain else None)
    if parent is not None and parent not in chain:
        chain.append(parent)
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1):]]
    return parent, chain


def context_for(mail: OutgoingMail) -> dict[str, Any]:
    requester = (mail.mail or {}).get("requester") or {}
    base: dict[str, Any] = {
        "subject": mail.subject or "", "body": mail.body or "", "ticket_ref": mail.ticket_ref,
        "customer_name": requester.get("name") or None, "agent": None, "link": None, "fields": None,
    }
    return {**base, **mail.variables}


def render(templates: TemplateSet, mail: OutgoingMail, action: str, default_language: str) -> Rendered:
    name = mail.template or DEFAULT_TEMPLATES.get(action, action)
    rendered = templates.render(name, mail.language or default_language, context_for(mail))
    subject = rendered.subject
    if mail.ticket_ref and f"[#{mail.ticket_ref}]" not in subject:
        subject = f"{subject} [#{mail.ticket_ref}]"
    return Rendered(subject, rendered.text, rendered.html)


def build_message(
    mail: OutgoingMail, rendered: Rendered, *, sender: str, message_id: str, automatic: bool,
    now: datetime | None = None,
) -> EmailMessage:
    """The MIME message: text (and HTML) in UTF-8, headers RFC 2047-encoded, threading headers set."""
    msg = EmailMessage(policy=SMTP_POLICY)
    [from_address] = recipients([sender])
    msg["From"] = from_address
    msg["To"] = recipients(mail.to)
    if mail.cc:
        msg["Cc"] = recipients(mail.cc)
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = message_id
    parent, chain = thread_headers(mail)
    if parent is not None:
        msg["In-Reply-To"] = parent
        msg["References"] = " ".join(chain)
    if automatic:  # notices: auto-responders must not answer (RFC 3834), Exchange must not send OOF
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
    if mail.ticket_ref:
        msg["X-Hub-Ticket"] = mail.ticket_ref
    msg.set_content(rendered.text, charset="utf-8")
    if rendered.html is not None:
        msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg


def envelope(mail: OutgoingMail) -> list[str]:
    """Every address the message goes to (Bcc is never written into the headers)."""
    return [f"{a.username}@{a.domain}" for a in recipients([*mail.to, *mail.cc, *mail.bcc])]
