"""Which ticket a message belongs to: threading against the Message-IDs the hub already stores.

A ticket made from mail is one crosswalk ref ``(mail system, "thread", <first Message-ID>)``
whose raw record lists every message id of the thread. For a page of messages the index
asks the store (read-only, a few queries per page, never per message):

1. the ids a message carries (its own, In-Reply-To, References) that are thread keys:
   the crosswalk's unique index answers at once — References almost always holds the
   first message of a thread, so this finds most replies;
2. the ids still unknown, among the message ids of stored mail threads (a scan of the
   mail refs' ``thread`` lists; only for replies whose references found nothing);
3. ticket tokens in subjects (``[#T-1024]``): a canonical ticket id (``tkt_…``) or any
   system's id for a ticket, and that ticket's mail thread.

Then, message by message: its own id already known → a duplicate; a parent known →
a comment on that thread; a token's ticket → a comment; else a new thread. Threads
built in this page are remembered until the page is committed; after that the store
knows them. Without a database (tests, previews) the index remembers everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, text

from connectors.mail.message import ParsedMail
from hub.db.engine import read_only
from hub.store.tables import RecordRef

REFS = RecordRef.__table__  # type: ignore[attr-defined]
THREAD_OBJECT = "thread"
_CHUNK = 500


@dataclass
class Thread:
    key: str  # the first message's Message-ID: the ticket's external id
    record: dict[str, Any]  # the raw record: what was last yielded for this thread

    @property
    def message_ids(self) -> list[str]:
        return list(self.record.get("message_ids") or [])


@dataclass(frozen=True)
class Placement:
    """Where one message goes."""

    thread: Thread | None  # None: a new ticket
    duplicate: bool = False
    via: str = "new"  # new | in-reply-to | token | duplicate


class ThreadIndex:
    def __init__(self, engine: Engine | None, system: str, token: re.Pattern[str]) -> None:
        self.engine = engine
        self.system = system
        self.token = token
        self.threads: dict[str, Thread] = {}
        self.by_message: dict[str, str] = {}  # message id -> thread key
        self.by_token: dict[str, str] = {}  # token ref -> thread key

    # -- the page -------------------------------------------------------------------------------

    def prefetch(self, mails: Sequence[ParsedMail]) -> None:
        """Load from the store every thread this page's messages may belong to (one connection)."""
        if self.engine is None or not mails:
            return
        with read_only(self.engine) as conn:
            wanted = {i for m in mails for i in (m.message_id, *m.parents)} - self.by_message.keys()
            self._load(conn, _refs_by_key(conn, self.system, wanted))
            unknown = {i for m in mails if m.parents and not self._has_known_parent(m)
                       for i in (m.message_id, *m.parents)} - self.by_message.keys()
            if unknown:
                keys = _keys_holding(conn, self.system, unknown)
                self._load(conn, _refs_by_key(conn, self.system, set(keys.values()) - self.threads.keys()))
            refs = {r for m in mails for r in self.tokens(m.subject)} - self.by_token.keys()
            if refs:
                for ref, key in _keys_by_token(conn, self.system, refs).items():
                    self.by_token[ref] = key
                self._load(conn, _refs_by_key(conn, self.system, set(self.by_token.values()) - self.threads.keys()))

    def place(self, mail: ParsedMail) -> Placement:
        if mail.message_id in self.by_message:
            return Placement(self.threads.get(self.by_message[mail.message_id]), duplicate=True, via="duplicate")
        for parent in mail.parents:
            key = self.by_message.get(parent)
            if key is not None and key in self.threads:
                return Placement(self.threads[key], via="in-reply-to")
        for ref in self.tokens(mail.subject):
            key = self.by_token.get(ref)
            if key is not None and key in self.threads:
                return Placement(self.threads[key], via="token")
        return Placement(None)

    def remember(self, thread: Thread) -> None:
        self.threads[thread.key] = thread
        for message_id in thread.message_ids:
            self.by_message[message_id] = thread.key

    def committed(self) -> None:
        """The page is in the store: forget the working set (the store answers from now on)."""
        if self.engine is not None:
            self.threads.clear()
            self.by_message.clear()
            self.by_token.clear()

    def tokens(self, subject: str) -> list[str]:
        return [m.group("ref") for m in self.token.finditer(subject)]

    # -- helpers --------------------------------------------------------------------------------

    def _has_known_parent(self, mail: ParsedMail) -> bool:
        return any(p in self.by_message for p in mail.parents)

    def _load(self, conn: Connection, rows: Iterable[tuple[str, dict[str, Any]]]) -> None:
        for key, raw in rows:
            if key not in self.threads:
                self.remember(Thread(key, raw))


def _refs_by_key(conn: Connection, system: str, keys: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
    """Live mail-thread refs whose external id (the first Message-ID) is one of ``keys``, with their raw record."""
    found: list[tuple[str, dict[str, Any]]] = []
    ordered = sorted(keys)
    for start in range(0, len(ordered), _CHUNK):
        query = select(REFS.c.external_id, REFS.c.raw).where(
            REFS.c.external_id.in_(ordered[start : start + _CHUNK]), REFS.c.system == system,
            REFS.c.object == THREAD_OBJECT, REFS.c.entity == "ticket", REFS.c.deleted_at.is_(None),
        )
        found += [(str(k), dict(raw)) for k, raw in conn.execute(query) if isinstance(raw, dict)]
    return found


def _keys_holding(conn: Connection, system: str, message_ids: Iterable[str]) -> dict[str, str]:
    """``message id -> thread key`` for ids inside stored mail threads (not only their first message)."""
    if conn.dialect.name == "postgresql":
        # The CASE keeps a ref without a thread list from making the set-returning function fail.
        sql = ("SELECT r.external_id, e.value FROM record_refs r CROSS JOIN LATERAL jsonb_array_elements_text("
               "CASE WHEN jsonb_typeof((r.fields)::jsonb -> 'thread') = 'array' THEN (r.fields)::jsonb -> 'thread' "
               "ELSE '[]'::jsonb END) AS e(value) "
               "WHERE r.system = :system AND r.object = :object AND r.entity = 'ticket' "
               "AND r.deleted_at IS NULL AND e.value IN :ids")
    else:
        sql = ("SELECT r.external_id, j.value FROM record_refs r, json_each(r.fields, '$.thread') AS j "
               "WHERE r.system = :system AND r.object = :object AND r.entity = 'ticket' "
               "AND r.deleted_at IS NULL AND json_type(r.fields, '$.thread') = 'array' AND j.value IN :ids")
    query = text(sql).bindparams(bindparam("ids", expanding=True))
    found: dict[str, str] = {}
    ordered = sorted(message_ids)
    for start in range(0, len(ordered), _CHUNK):
        params = {"system": system, "object": THREAD_OBJECT, "ids": ordered[start : start + _CHUNK]}
        for key, message_id in conn.execute(query, params):
            found[str(message_id)] = str(key)
    return found


def _keys_by_token(conn: Connection, system: str, refs: Iterable[str]) -> dict[str, str]:
    """``token ref -> thread key``: the ref is a canonical ticket id or any system's id of a ticket."""
    refs = sorted(set(refs))
    record_of: dict[str, str] = {r: r for r in refs if r.startswith("tkt_")}
    others = [r for r in refs if r not in record_of]
    if others:
        query = select(REFS.c.external_id, REFS.c.record_id).where(
            REFS.c.external_id.in_(others), REFS.c.entity == "ticket", REFS.c.deleted_at.is_(None))
        for external_id, record_id in conn.execute(query):
            record_of.setdefault(str(external_id), str(record_id))
    if not record_of:
        return {}
    query = select(REFS.c.record_id, REFS.c.external_id).where(
        REFS.c.record_id.in_(sorted(set(record_of.values()))), REFS.c.system == system,
        REFS.c.object == THREAD_OBJECT, REFS.c.entity == "ticket", REFS.c.deleted_at.is_(None),
    ).order_by(REFS.c.id)
    key_of: dict[str, str] = {}
    for record_id, external_id in conn.execute(query):
        key_of.setdefault(str(record_id), str(external_id))
    return {ref: key_of[record] for ref, record in record_of.items() if record in key_of}
