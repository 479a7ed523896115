"""The raw records the ``thread`` stream yields: one per mail thread, the whole thread each time.

The store keeps one crosswalk ref per source record and replaces what it says on every
sync, so a reply is added by yielding the thread again with one more comment; the
mapping (``mappings/mail/ticket.yaml``) turns the record into the canonical ticket::

    {"thread_key": "<first message id>",      the ticket's external id
     "uid": 1042, "mailbox": "INBOX",         where the newest message of this version was read
     "channel": "mail", "subject": "...", "body": "the first message, whole",
     "priority": "normal", "customer_id": "cus_..." | null, "received_at": "...Z",
     "message_ids": ["<first>", "<reply>", ...],              -> ticket.thread
     "mail": {"requester": {...}, "to": [...], "cc": [...],  -> ticket.attributes
              "attachments": [...], "customer_match": {...},
              "comments": [{"message_id", "from", "date", "body" (quotes trimmed), "attachments", ...}]}}

A message that cannot be read becomes a record whose ``channel`` is ``malformed: <why>``:
the mapping refuses it, so the sync quarantines it with the raw bytes (base64) and goes on.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from datetime import datetime
from typing import Any

from connectors.mail.customers import CustomerMatch
from connectors.mail.message import Address, ParsedMail, clean_subject
from connectors.mail.quotes import trim_quoted
from connectors.mail.threads import Thread
from hub.db.types import iso_utc

MAX_TEXT = 100_000  # characters kept of one message's text


def _address(address: Address) -> dict[str, str]:
    return {"email": address.email, "name": address.name}


def _text(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "\n[…]"


def new_thread(mail: ParsedMail, *, uid: int, mailbox: str, attachments: list[dict[str, Any]],
               customer: CustomerMatch, note: str | None = None) -> Thread:
    """A ticket from the first message of a thread (its text kept whole: a forward is the request)."""
    details: dict[str, Any] = {
        "requester": _address(mail.sender), "to": [_address(a) for a in mail.to],
        "cc": [_address(a) for a in mail.cc], "attachments": attachments, "comments": [],
        "customer_match": customer.as_json(), "html_only": mail.html_only, "mailbox": mailbox,
    }
    if note:
        details["note"] = note
    record: dict[str, Any] = {
        "thread_key": mail.message_id, "uid": uid, "mailbox": mailbox, "channel": "mail",
        "subject": clean_subject(mail.subject) or mail.subject, "body": _text(mail.text), "priority": mail.priority,
        "customer_id": customer.customer_id, "received_at": iso_utc(mail.date),
        "message_ids": [mail.message_id], "mail": details,
    }
    return Thread(mail.message_id, record)


def add_comment(thread: Thread, mail: ParsedMail, *, uid: int, mailbox: str, attachments: list[dict[str, Any]],
                customer: CustomerMatch, via: str, note: str | None = None) -> Thread:
    """The thread with one more message: a comment whose text has the quoted earlier mail trimmed."""
    record = copy.deepcopy(thread.record)
    details = record.setdefault("mail", {})
    comment: dict[str, Any] = {
        "message_id": mail.message_id, "from": _address(mail.sender), "date": iso_utc(mail.date),
        "body": _text(trim_quoted(mail.text)), "attachments": attachments, "via": via, "uid": uid, "mailbox": mailbox,
    }
    if note:
        comment["note"] = note
    details.setdefault("comments", []).append(comment)
    record["message_ids"] = [*record.get("message_ids", []), mail.message_id]
    record["uid"], record["mailbox"] = uid, mailbox
    if record.get("customer_id") is None and customer.customer_id is not None:
        record["customer_id"] = customer.customer_id  # a colleague of a known customer wrote in
        details["customer_match"] = customer.as_json()
    if mail.priority == "high":
        record["priority"] = "high"
    return Thread(thread.key, record)


def malformed_record(raw: bytes, *, uid: int, mailbox: str, reason: str, message_id: str | None,
                     limit: int, received: datetime | None) -> dict[str, Any]:
    """A record the mapping refuses (its channel says why), carrying the raw bytes for the quarantine."""
    digest = hashlib.sha256(raw).hexdigest()
    kept = raw[:limit]
    return {
        "thread_key": message_id or f"<{digest[:32]}@malformed.invalid>", "uid": uid, "mailbox": mailbox,
        "channel": f"malformed: {reason}", "problem": reason, "received_at": iso_utc(received) if received else None,
        "raw_size": len(raw), "raw_sha256": digest, "raw_truncated": len(kept) < len(raw),
        "raw_base64": base64.b64encode(kept).decode("ascii"),
    }
