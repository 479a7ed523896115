"""Reading a mailbox into thread records, a page at a time, flagging or moving only what is committed.

::

    SELECT mailbox ── UIDVALIDITY changed? restart the cursor at 0
       │  finish the flags/moves a crash left pending
       ▼
    UID SEARCH uid+1:… ── FETCH a page (size first: oversized ones headers only, BODY.PEEK)
       │  parse ─► malformed? quarantine record │ noise? skip │ duplicate Message-ID? skip
       │  ─► thread it (In-Reply-To/References, [#token]) ─► sender → customer ─► attachments to disk
       ▼
    yield Page(thread records, state with the new cursor and the handled UIDs as pending)
       │  the engine commits records + state in one transaction, then asks for the next page:
       ▼  only now flag (\\Seen $HubTicket) or move the page's messages, and forget them as pending

The generator resumes after a ``yield`` only once the engine committed that page; when the
commit fails the engine closes the generator instead, so nothing is flagged or moved for
a page that is not in the store.
"""

from __future__ import annotations

import asyncio
import email
import logging
import re
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from connectors.mail.attachments import AttachmentStore
from connectors.mail.cursor import MailboxCursor, load_cursor, with_cursor
from connectors.mail.customers import CustomerResolver
from connectors.mail.imap import ImapSession, MessageMeta
from connectors.mail.message import Address, MalformedMessage, ParsedMail, addresses, message_ids, parse_mail
from connectors.mail.noise import noise_reason
from connectors.mail.settings import MailSettings
from connectors.mail.threads import ThreadIndex
from connectors.mail.tickets import add_comment, malformed_record, new_thread
from hub.errors import HubError
from hub.logs import mask_personal_data
from hub.sdk import Page, StreamState

log = logging.getLogger(__name__)
HUB_KEYWORD = "$HubTicket"


@dataclass
class PageResult:
    records: list[dict[str, Any]] = field(default_factory=list)
    handled: list[int] = field(default_factory=list)  # UIDs to flag/move once committed
    skipped: dict[str, int] = field(default_factory=dict)


class MailboxReader:
    def __init__(self, settings: MailSettings, *, engine: Engine | None, system: str,
                 attachments: AttachmentStore) -> None:
        self.settings = settings
        self.index = ThreadIndex(engine, system, re.compile(settings.ticket_ref_pattern))
        self.customers = CustomerResolver(engine, system, settings.free_mail_domains)
        self.attachments = attachments
        own = {settings.from_address or "", settings.username or ""}
        self.own = frozenset(a.email for a in _own_addresses(own))

    async def read(self, state: StreamState, *, full: bool) -> AsyncGenerator[Page, None]:
        mailbox = self.settings.mailbox
        session = ImapSession(self.settings)
        try:
            await asyncio.to_thread(session.open)
            selected = await asyncio.to_thread(session.select, mailbox)
            cursor = load_cursor(state, mailbox)
            if cursor.uidvalidity != selected.uidvalidity:
                if cursor.uidvalidity is not None:
                    log.warning("mailbox %s: UIDVALIDITY changed (%s -> %s); reading it again from the start "
                                "(messages already in tickets are skipped by Message-ID)", mailbox,
                                cursor.uidvalidity, selected.uidvalidity)
                cursor = MailboxCursor(selected.uidvalidity, 0, [])
            if full:
                cursor = MailboxCursor(cursor.uidvalidity, 0, cursor.pending)
            cursor.pending = await self._after_commit(session, cursor.pending, selected.keywords_allowed)
            while True:
                uids = await asyncio.to_thread(session.uids_after, cursor.uid, limit=self.settings.page_size)
                if not uids:
                    break
                result = await self._read_page(session, uids)
                cursor = MailboxCursor(cursor.uidvalidity, max(uids), [*cursor.pending, *result.handled])
                yield Page(result.records, with_cursor(state, mailbox, cursor))
                # Resumed: the engine committed that page. Flag or move its messages now, never before.
                self.index.committed()
                cursor.pending = await self._after_commit(session, cursor.pending, selected.keywords_allowed)
            yield Page([], with_cursor(state, mailbox, cursor))  # the cursor, and what is still pending
        finally:
            await asyncio.to_thread(session.close)

    async def _after_commit(self, session: ImapSession, uids: list[int], keywords: bool) -> list[int]:
        """Flag or move committed messages; return the ones still to do (kept pending in the state)."""
        if not uids or self.settings.after == "none":
            return []
        try:
            target = self.settings.move_to
            if target is not None:
                await asyncio.to_thread(session.ensure_mailbox, target)
                await asyncio.to_thread(session.move, uids, target)
            else:
                flags = ["\\Seen", HUB_KEYWORD] if keywords else ["\\Seen"]
                await asyncio.to_thread(session.add_flags, uids, flags)
        except HubError as exc:
            log.warning("mailbox %s: %d committed message(s) not %s yet (%s); tried again on the next read",
                        self.settings.mailbox, len(uids), self.settings.after, exc.message)
            return uids
        return []

    async def _read_page(self, session: ImapSession, uids: Sequence[int]) -> PageResult:
        meta = await asyncio.to_thread(session.fetch_meta, uids)
        limit = self.settings.max_message_bytes
        whole = [u for u in uids if u in meta and meta[u].size <= limit]
        oversized = [u for u in uids if u in meta and meta[u].size > limit]
        raws = await asyncio.to_thread(session.fetch_raw, whole)
        heads = await asyncio.to_thread(session.fetch_raw, oversized, headers_only=True)
        return await asyncio.to_thread(self._build_page, uids, meta, raws, heads)

    # -- in a worker thread: parse, thread, resolve, store attachments --------------------------

    def _build_page(self, uids: Sequence[int], meta: dict[int, MessageMeta], raws: dict[int, bytes],
                    heads: dict[int, bytes]) -> PageResult:
        result = PageResult()
        records: dict[str, tuple[int, dict[str, Any]]] = {}  # key -> (uid of its newest message, record)
        parsed: list[tuple[int, ParsedMail]] = []
        for uid in uids:
            raw = raws.get(uid) if uid in raws else heads.get(uid)
            if raw is None:
                continue  # expunged between SEARCH and FETCH
            received = meta[uid].received if uid in meta else None
            try:
                mail = parse_mail(raw, received=received, headers_only=uid in heads)
            except MalformedMessage as exc:
                record = malformed_record(raw, uid=uid, mailbox=self.settings.mailbox, reason=str(exc),
                                          message_id=_message_id_of(raw), received=received,
                                          limit=self.settings.quarantine_raw_max_bytes)
                records[record["thread_key"]] = (uid, record)
                _count(result, "malformed")
                log.warning("mailbox %s uid %d: malformed, quarantined: %s", self.settings.mailbox, uid, exc)
                continue
            reason = noise_reason(mail, self.own)
            if reason is not None:
                _count(result, "noise")
                log.info("mailbox %s uid %d from %s: not a ticket: %s", self.settings.mailbox, uid,
                         mask_personal_data(mail.sender.email), reason)
                continue
            parsed.append((uid, mail))
        self.index.prefetch([m for _, m in parsed])
        self.customers.prefetch(m.sender.email for _, m in parsed)
        for uid, mail in parsed:
            placement = self.index.place(mail)
            if placement.duplicate:
                _count(result, "duplicate")
                result.handled.append(uid)
                continue
            customer = self.customers.resolve(mail.sender.email)
            attachments = [self.attachments.save(a) for a in mail.attachments]
            note = _oversize_note(meta.get(uid), self.settings.max_message_bytes) if uid in heads else None
            if placement.thread is None:
                thread = new_thread(mail, uid=uid, mailbox=self.settings.mailbox, attachments=attachments,
                                    customer=customer, note=note)
            else:
                thread = add_comment(placement.thread, mail, uid=uid, mailbox=self.settings.mailbox,
                                     attachments=attachments, customer=customer, via=placement.via, note=note)
            self.index.remember(thread)
            records[thread.key] = (uid, thread.record)  # one record per thread per page: its latest version
            result.handled.append(uid)
        result.records = [record for _, record in sorted(records.values(), key=lambda item: item[0])]
        if result.skipped:
            log.info("mailbox %s: page of %d message(s): %d thread record(s), skipped %s", self.settings.mailbox,
                     len(uids), len(result.records), result.skipped)
        return result


def _count(result: PageResult, reason: str) -> None:
    result.skipped[reason] = result.skipped.get(reason, 0) + 1


def _message_id_of(raw: bytes) -> str | None:
    try:
        ids = message_ids(str(email.message_from_bytes(raw).get("Message-ID", "")))
    except Exception:  # malformed beyond reading a header: the raw bytes' digest names it
        return None
    return f"<{ids[0]}>" if ids else None


def _oversize_note(meta: MessageMeta | None, limit: int) -> str:
    size = meta.size if meta else 0
    return (f"message of {size} bytes is larger than max_message_bytes ({limit}): only its headers were read; "
            "open it in the mailbox")


def _own_addresses(values: set[str]) -> list[Address]:
    return [a for value in values if value for a in addresses(value)]
