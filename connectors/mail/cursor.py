"""Where reading a mailbox left off: a UID cursor per mailbox, kept in the stream state.

::

    StreamState(cursor=1042, data={"mailboxes": {"INBOX": {"uidvalidity": 1795611243, "uid": 1042,
                                                           "pending": [1040, 1041]}}})

- ``uid``: every message up to it is committed (as a ticket, a comment, quarantined, or
  skipped as noise). UIDs only grow within one UIDVALIDITY, so reading ``uid+1:*`` never
  misses a message and never repeats one.
- ``uidvalidity``: when the server's differs (the folder was re-created or restored), the
  old UIDs mean nothing: the cursor restarts at 0 and every message is read again; those
  already in a ticket are recognised by Message-ID and skipped.
- ``pending``: committed messages whose flag or move is not done yet. The engine commits a
  page together with its state, so a crash after the commit but before the flag leaves
  them here, and the next read finishes the job first (flag and move are idempotent).

Each mailbox has its own entry, so pointing ``mailbox`` at another folder starts that
folder from its beginning and keeps the old folder's place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.sdk import StreamState


@dataclass
class MailboxCursor:
    uidvalidity: int | None = None
    uid: int = 0
    pending: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"uidvalidity": self.uidvalidity, "uid": self.uid, "pending": sorted(set(self.pending))}


def load_cursor(state: StreamState, mailbox: str) -> MailboxCursor:
    entry = (state.data.get("mailboxes") or {}).get(mailbox)
    if not isinstance(entry, dict):
        return MailboxCursor()
    validity = entry.get("uidvalidity")
    pending = entry.get("pending") or []
    return MailboxCursor(int(validity) if validity is not None else None, int(entry.get("uid") or 0),
                         [int(u) for u in pending])


def with_cursor(state: StreamState, mailbox: str, cursor: MailboxCursor) -> StreamState:
    """A new state: this mailbox's cursor replaced, other mailboxes' kept."""
    mailboxes = dict(state.data.get("mailboxes") or {})
    mailboxes[mailbox] = cursor.as_json()
    return StreamState(cursor=cursor.uid, data={**state.data, "mailboxes": mailboxes})
