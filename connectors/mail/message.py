"""One raw message (RFC 5322 bytes) to what a ticket needs: sender, ids, text, attachments.

Parsing is lenient where real mail is sloppy (charsets, 8-bit headers, broken base64,
missing Message-ID or Date) and strict where content would be lost: a message without
a sender address, or a multipart whose parts cannot be found, raises
:class:`MalformedMessage` so the sync quarantines it with its raw bytes and goes on.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors as email_errors
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from connectors.mail.charsets import decode_bytes, decode_header_value, raw_header_text
from connectors.mail.html_text import html_to_text

_MSGID = re.compile(r"<([^<>\s]+)>")
_REPLY_PREFIX = re.compile(
    r"^(?:\s*(?:re|fw|fwd|aw|sv|antw|回复|答复|回覆|转发|轉寄|转寄)\s*(?:\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE)
_LOST_CONTENT = (  # defects after which the parts of a multipart cannot be trusted
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
)


class MalformedMessage(ValueError):
    """The message cannot become a ticket; the reason says why, for the quarantine list."""


@dataclass(frozen=True)
class Address:
    email: str  # lower-cased
    name: str = ""

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    @property
    def local_part(self) -> str:
        return self.email.rpartition("@")[0]


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str | None = None


@dataclass
class ParsedMail:
    message_id: str  # with angle brackets, as headers carry it
    subject: str
    sender: Address
    date: datetime
    text: str  # the whole body as text (HTML converted), quotes not yet trimmed
    html_only: bool = False
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case name -> first value, decoded
    content_type: str = "text/plain"
    report_type: str | None = None
    priority: str = "normal"
    synthetic_id: bool = False  # the message had no Message-ID: one was derived from its bytes
    size: int = 0

    @property
    def parents(self) -> list[str]:
        """Ids this message answers, nearest first: In-Reply-To, then References from the newest."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen and mid != self.message_id:
                seen.append(mid)
        return seen


def parse_mail(raw: bytes, *, received: datetime | None = None, headers_only: bool = False) -> ParsedMail:
    """Parse a message; raises MalformedMessage when it cannot become a ticket."""
    try:
        msg = email.message_from_bytes(raw)
    except Exception as exc:  # the stdlib parser is lenient; anything it raises means unreadable bytes
        raise MalformedMessage(f"unreadable message: {type(exc).__name__}: {exc}") from exc
    headers = _headers(msg)
    senders = addresses(headers.get("from", ""))
    if not senders:
        sender_header = headers.get("sender", "") or headers.get("return-path", "")
        senders = addresses(sender_header)
    if not senders:
        raise MalformedMessage("no sender address (From: is missing or unreadable)")
    for part in () if headers_only else msg.walk():  # only the header was fetched: no parts to check
        lost = [d for d in part.defects if isinstance(d, _LOST_CONTENT)]
        if lost:
            raise MalformedMessage(f"broken MIME structure in {part.get_content_type()}: {type(lost[0]).__name__} "
                                   "(the parts cannot be told apart)")
    ids = message_ids(headers.get("message-id", ""))
    message_id = f"<{ids[0]}>" if ids else f"<{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id.invalid>"
    mail = ParsedMail(
        message_id=message_id,
        synthetic_id=not ids,
        subject=headers.get("subject", ""),
        sender=senders[0],
        date=_date(headers.get("date"), received),
        text="",
        to=addresses(headers.get("to", "")),
        cc=addresses(headers.get("cc", "")),
        in_reply_to=[f"<{i}>" for i in message_ids(headers.get("in-reply-to", ""))],
        references=[f"<{i}>" for i in message_ids(headers.get("references", ""))],
        headers=headers,
        content_type=msg.get_content_type(),
        report_type=_report_type(msg),
        priority=_priority(headers),
        size=len(raw),
    )
    if not headers_only:
        texts: list[tuple[str, str]] = []
        _collect(msg, texts, mail.attachments)
        plain = [t for kind, t in texts if kind == "plain" and t.strip()]
        html = [t for kind, t in texts if kind == "html" and t.strip()]
        mail.text = "\n\n".join(plain) if plain else "\n\n".join(html)
        mail.html_only = not plain and bool(html)
    return mail


def _report_type(msg: Message) -> str | None:
    if msg.get_content_type() != "multipart/report":
        return None
    value = msg.get_param("report-type")
    return str(value[2] if isinstance(value, tuple) else value) if value else None


def _headers(msg: Message) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in msg.raw_items():
        key = name.strip().lower()
        if key not in found:
            found[key] = raw_header_text(str(value)) if key in _ADDRESS_HEADERS else decode_header_value(str(value))
    return found


_ADDRESS_HEADERS = frozenset({"from", "to", "cc", "sender", "reply-to", "return-path"})


def addresses(value: str) -> list[Address]:
    """Addresses of an address header (raw text: display names still RFC 2047 encoded)."""
    found: list[Address] = []
    for name, addr in getaddresses([value.replace("\r", " ").replace("\n", " ")]):
        addr = addr.strip().strip("<>").lower()
        if "@" not in addr or " " in addr:
            continue
        found.append(Address(addr, decode_header_value(name).strip().strip('"')))
    return found


def message_ids(value: str) -> list[str]:
    """The ids in a Message-ID/In-Reply-To/References value, without brackets, in order, once each."""
    found = list(dict.fromkeys(_MSGID.findall(value)))
    if not found and value.strip() and " " not in value.strip() and "@" in value:
        found = [value.strip()]  # a bare id without brackets (some scripts send that)
    return found


def clean_subject(subject: str) -> str:
    """The subject without Re:/回复:/Fwd:/转发: prefixes."""
    return _REPLY_PREFIX.sub("", subject).strip()


def _date(value: str | None, received: datetime | None) -> datetime:
    if value:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None:
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    return (received or datetime.now(UTC)).astimezone(UTC)


def _priority(headers: dict[str, str]) -> str:
    x_priority = headers.get("x-priority", "").strip()[:1]
    if x_priority in ("1", "2"):
        return "high"
    if x_priority in ("4", "5"):
        return "low"
    for name in ("importance", "x-msmail-priority", "priority"):
        value = headers.get(name, "").strip().lower()
        if value in ("high", "urgent"):
            return "high"
        if value in ("low", "non-urgent"):
            return "low"
    return "normal"


def _collect(part: Message, texts: list[tuple[str, str]], attachments: list[Attachment]) -> None:
    ctype = part.get_content_type()
    if ctype == "message/rfc822":  # a forwarded message: kept whole, as an .eml attachment
        inner = part.get_payload()
        data = inner[0].as_bytes() if isinstance(inner, list) and inner and isinstance(inner[0], Message) else b""
        attachments.append(Attachment(_filename(part) or "forwarded.eml", ctype, data))
        return
    if part.is_multipart():
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        if ctype == "multipart/alternative" and children:
            _collect(_best_alternative(children), texts, attachments)
            return
        for child in children:
            _collect(child, texts, attachments)
        return
    disposition = part.get_content_disposition()
    name = _filename(part)
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    if ctype in ("text/plain", "text/html") and not (name and disposition == "attachment"):
        text = decode_bytes(data, part.get_content_charset()).replace("\r\n", "\n").replace("\r", "\n")
        texts.append(("plain", text) if ctype == "text/plain" else ("html", html_to_text(text)))
        return
    if ctype.startswith("multipart/"):
        return  # an empty multipart (no boundary found) holds nothing to keep
    content_id = part.get("Content-ID")
    attachments.append(Attachment(
        name or _unnamed(ctype, len(attachments) + 1), ctype, data,
        inline=disposition == "inline" or (disposition is None and content_id is not None),
        content_id=str(content_id).strip().strip("<>") if content_id else None,
    ))


def _best_alternative(children: list[Message]) -> Message:
    """Plain text when the sender wrote some; otherwise the HTML (or whatever is richest)."""
    for child in children:
        if child.get_content_type() == "text/plain":
            payload = child.get_payload(decode=True)
            if isinstance(payload, bytes) and payload.strip():
                return child
    for child in reversed(children):
        if child.get_content_type() == "text/html" or child.is_multipart():
            return child
    return children[-1]


def _filename(part: Message) -> str | None:
    """The attachment's name: RFC 2231 (filename*=), RFC 2047 words, or raw 8-bit bytes."""
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = part.get_param(param, header=header)
        if value is None:
            continue
        if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded text as latin-1)
            charset, _language, text = value
            data = text.encode("latin-1", "surrogateescape") if isinstance(text, str) else bytes(text)
            name = decode_bytes(data, charset or None)
        else:
            name = decode_header_value(email.utils.collapse_rfc2231_value(value))
        name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
        if name:
            return name
    return None


def _unnamed(ctype: str, number: int) -> str:
    extension = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "application/pdf": "pdf",
                 "text/calendar": "ics", "message/delivery-status": "txt"}.get(ctype, "bin")
    return f"attachment-{number}.{extension}"
