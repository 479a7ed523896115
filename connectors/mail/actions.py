"""What the connector pushes: templated mails (``reply`` into a ticket's thread, ``notice`` for flows), once per key.

Idempotency: the Message-ID is derived from the idempotency key, and the Sent folder is
the memory of what was sent. Before sending, the push looks for that Message-ID in
``sent_mailbox`` (IMAP ``SEARCH HEADER Message-ID``); found means an earlier try sent it
(the worker died, or the answer was lost) and the push returns ``created=False``.
After sending, a copy is appended there (``save_sent``; servers such as Gmail file sent
mail themselves: then set ``save_sent: false`` and the search still finds their copy).
The Sent folder was chosen over a table of sent keys because it is shared by every
worker and survives restarts without a schema change, and it is where people look for
what support sent. A process also remembers the keys it sent (a retry in the same
process skips the IMAP search).

The one window left: the server accepted the message but the connection died before
its answer, and the copy was never saved; the retry sends again, with the same
Message-ID, which the recipient's client shows as one message.

Retries: transient SMTP answers (4xx, dropped connections) are retried a few times in
the call with backoff (``RetryPolicy``), then raised as ``RetryableError`` for the
delivery machinery to try again later; 5xx answers raise at once and are not retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from connectors.mail.compose import build_message, envelope, message_id_for, parse_outgoing, recipients, render
from connectors.mail.imap import ImapSession
from connectors.mail.settings import MailSettings
from connectors.mail.smtp import send_message
from connectors.mail.templates import TemplateSet
from hub.errors import ConfigError, HubError, RetryableError
from hub.logs import mask_personal_data
from hub.sdk import PushResult, RetryPolicy

log = logging.getLogger(__name__)
REMEMBERED_KEYS = 10_000


class MailSender:
    def __init__(self, settings: MailSettings, connector: str, *, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.settings = settings
        self.connector = connector
        self.templates = TemplateSet(settings.templates_dir)
        self.retry = retry or RetryPolicy(attempts=3, base=1.0, cap=10.0)
        self.sleep = sleep
        self.sent: OrderedDict[str, str] = OrderedDict()  # idempotency key -> Message-ID, newest last

    async def push(self, action: str, record: dict[str, Any], *, idempotency_key: str) -> PushResult:
        s = self.settings
        if s.smtp_host is None or s.from_address is None:
            raise ConfigError(f"mail connector {self.connector}: set smtp_host and from_address to send mail")
        mail = parse_outgoing(record, action)
        [sender] = recipients([s.from_address])
        message_id = message_id_for(idempotency_key, connector=self.connector, from_domain=sender.domain)
        if idempotency_key in self.sent or await self._already_sent(message_id):
            self._remember(idempotency_key, message_id)
            return PushResult(message_id, created=False)
        rendered = render(self.templates, mail, action, s.default_language)
        message = build_message(mail, rendered, sender=s.from_address, message_id=message_id,
                                automatic=action == "notice")
        to = envelope(mail)
        refused = await self._send(message, f"{sender.username}@{sender.domain}", to)
        self._remember(idempotency_key, message_id)
        await self._save_copy(message.as_bytes())
        log.info("mail %s sent %s to %d recipient(s)%s", action, message_id, len(to) - len(refused),
                 f", refused: {mask_personal_data(str(sorted(refused)))}" if refused else "")
        return PushResult(message_id, created=True, raw={
            "message_id": message_id, "subject": rendered.subject, "in_reply_to": message.get("In-Reply-To"),
            "recipients": len(to), "refused": {a: c for a, (c, _) in refused.items()},
        })

    async def _send(self, message: Any, envelope_from: str, to: list[str]) -> dict[str, tuple[int, str]]:
        retrying = AsyncRetrying(stop=stop_after_attempt(self.retry.attempts), wait=self._wait,
                                 retry=retry_if_exception_type(RetryableError), sleep=self.sleep, reraise=True)
        async for attempt in retrying:
            with attempt:
                return await asyncio.to_thread(send_message, self.settings, message, envelope_from, to)
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        delay = self.retry.backoff(state.attempt_number)
        log.info("smtp: %s; retry %d in %.1fs", exc, state.attempt_number, delay)
        return delay

    async def _already_sent(self, message_id: str) -> bool:
        if self.settings.imap_host is None or self.settings.sent_mailbox is None:
            return False
        return await asyncio.to_thread(self._search_sent, message_id)

    def _search_sent(self, message_id: str) -> bool:
        assert self.settings.sent_mailbox is not None
        session = ImapSession(self.settings)
        try:
            return session.open().has_message_id(self.settings.sent_mailbox, message_id)
        finally:
            session.close()

    async def _save_copy(self, raw: bytes) -> None:
        s = self.settings
        if s.imap_host is None or s.sent_mailbox is None or not s.save_sent:
            return
        try:
            await asyncio.to_thread(self._append_sent, raw)
        except HubError as exc:  # sent already: failing the push now would send it twice on retry
            log.warning("mail sent, but its copy could not be saved in %s: %s", s.sent_mailbox, exc.message)

    def _append_sent(self, raw: bytes) -> None:
        assert self.settings.sent_mailbox is not None
        session = ImapSession(self.settings)
        try:
            session.open()
            session.ensure_mailbox(self.settings.sent_mailbox)
            session.append(self.settings.sent_mailbox, raw)
        finally:
            session.close()

    def _remember(self, key: str, message_id: str) -> None:
        self.sent[key] = message_id
        self.sent.move_to_end(key)
        while len(self.sent) > REMEMBERED_KEYS:
            self.sent.popitem(last=False)
