"""The ``mail`` connector type: a mailbox read into tickets over IMAP, templated mail sent over SMTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar

from connectors.mail.actions import MailSender
from connectors.mail.attachments import AttachmentStore, attachments_root
from connectors.mail.imap import ImapSession
from connectors.mail.settings import MailSettings
from connectors.mail.smtp import check_smtp
from connectors.mail.streams import MailboxReader
from connectors.mail.threads import THREAD_OBJECT
from hub.errors import ConfigError, HubError
from hub.sdk import (
    ActionSpec,
    Connector,
    ConnectorContext,
    ConnectorSettings,
    Health,
    Page,
    PushResult,
    RetryPolicy,
    StreamSpec,
    StreamState,
    settings_as,
)


class MailConnector(Connector):
    type = "mail"
    settings_model = MailSettings
    streams: ClassVar[dict[str, StreamSpec]] = {
        THREAD_OBJECT: StreamSpec(
            THREAD_OBJECT, "ticket", "邮件会话 mail threads: each first message a ticket, each reply a comment",
            cursor_field="uid",
            detects_deletes=False,  # a message moved or deleted in the mailbox is not a ticket withdrawn
        ),
    }
    actions: ClassVar[dict[str, ActionSpec]] = {
        "reply": ActionSpec("reply", "ticket", "回复工单 a templated reply in the ticket's mail thread"),
        "notice": ActionSpec("notice", None, "通知 a templated notification mail (flows)"),
    }

    def __init__(self, settings: ConnectorSettings, context: ConnectorContext, *,
                 retry: RetryPolicy | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        settings = settings_as(MailSettings, settings)
        super().__init__(settings, context)
        self.settings: MailSettings = settings
        self.attachments = AttachmentStore(attachments_root(settings.attachments_dir), settings.attachment_max_bytes)
        self.sender = MailSender(settings, context.name, retry=retry, sleep=sleep)

    async def check(self) -> Health:
        """Log in to IMAP and select the mailbox; connect to SMTP (and log in) without sending."""
        details: dict[str, Any] = {}
        try:
            if self.settings.imap_host is not None:
                details["imap"] = await asyncio.to_thread(self._check_imap)
            if self.settings.smtp_host is not None:
                details["smtp"] = await asyncio.to_thread(check_smtp, self.settings)
        except HubError as exc:
            return Health(False, exc.message, {**details, "code": exc.code})
        parts = [f"{k}: {v['summary']}" for k, v in details.items()]
        return Health(True, "; ".join(parts), details)

    def _check_imap(self) -> dict[str, Any]:
        session = ImapSession(self.settings)
        try:
            selected = session.open().select(self.settings.mailbox)
            messages = session.conn.response("EXISTS")[1] if session.conn else None
        finally:
            session.close()
        count = next((int(m) for m in messages or [] if isinstance(m, bytes) and m.isdigit()), None)
        return {"summary": f"{self.settings.mailbox} has {count if count is not None else '?'} message(s)",
                "uidvalidity": selected.uidvalidity, "idle": "IDLE" in session.capabilities}

    async def read(self, stream: str, state: StreamState, *, full: bool) -> AsyncIterator[Page]:
        if stream != THREAD_OBJECT:
            raise ConfigError(f"mail has no stream {stream!r}; it has: {THREAD_OBJECT}")
        if self.settings.imap_host is None:
            raise ConfigError(f"mail connector {self.context.name}: set imap_host, username and password to read "
                              "mail into tickets")
        reader = MailboxReader(self.settings, engine=self.context.engine, system=self.context.system,
                               attachments=self.attachments)
        pages = reader.read(state, full=full)
        try:
            async for page in pages:
                yield page  # the engine commits the page before asking for the next one
        finally:
            await pages.aclose()  # closes the IMAP session now, not at garbage collection

    async def push(self, action: str, record: dict[str, Any], *, idempotency_key: str) -> PushResult:
        if action not in self.actions:
            return await super().push(action, record, idempotency_key=idempotency_key)
        return await self.sender.push(action, record, idempotency_key=idempotency_key)
