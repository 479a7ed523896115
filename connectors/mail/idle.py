"""IMAP IDLE (RFC 2177): wait for new mail and say so, with asyncio streams so waiting is cancellable.

imaplib (used for reading) has no IDLE before Python 3.14 and blocks in a thread that
cannot be interrupted, so the watcher speaks the few commands it needs itself:
STARTTLS, CAPABILITY, LOGIN, EXAMINE, IDLE/DONE, LOGOUT. It never reads or changes
messages: on ``* n EXISTS`` it calls ``on_new_mail`` (which enqueues a sync), re-issues
IDLE every ``renew`` seconds (servers end IDLE after ~30 minutes), and reconnects with
backoff when the connection drops, signalling once after each reconnect in case mail
arrived meanwhile. A server without IDLE ends the watcher: polling on the schedule
remains.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable

from connectors.mail.imap import encode_mailbox, tls_context
from connectors.mail.settings import MailSettings

log = logging.getLogger(__name__)
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
_EXISTS = re.compile(rb"^\* \d+ (EXISTS|RECENT)\b", re.IGNORECASE)


class IdleUnsupported(Exception):
    """The server does not offer IDLE."""


class ImapProtocolError(Exception):
    """A command was refused or the server said something the watcher cannot follow."""


class IdleWatcher:
    def __init__(self, settings: MailSettings, on_new_mail: Callable[[], Awaitable[None]], *,
                 renew: float = 25 * 60, debounce: float = 0.3, first_backoff: float = 1.0,
                 max_backoff: float = 300.0) -> None:
        self.settings = settings
        self.on_new_mail = on_new_mail
        self.renew = renew
        self.debounce = debounce
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self.idling = asyncio.Event()  # set while an IDLE is in progress (tests wait for it)
        self.connected = False
        self._tag = 0

    async def run(self) -> None:
        """Watch until cancelled (or until the server turns out to lack IDLE)."""
        backoff = self.first_backoff
        while True:
            self.connected = False
            try:
                await self._session()  # returns only by raising
            except IdleUnsupported:
                log.info("mailbox %s: the server does not offer IMAP IDLE; polling on the schedule only",
                         self.settings.mailbox)
                return
            except (OSError, EOFError, TimeoutError, asyncio.LimitOverrunError, ImapProtocolError) as exc:
                self.idling.clear()
                if self.connected:  # it worked for a while: start the backoff over
                    backoff = self.first_backoff
                log.warning("mailbox %s: IDLE connection lost (%s: %s); reconnecting in %.1fs",
                            self.settings.mailbox, type(exc).__name__, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    async def _session(self) -> None:
        s = self.settings
        assert s.imap_host is not None
        reader, writer = await asyncio.wait_for(asyncio.open_connection(
            s.imap_host, s.effective_imap_port, ssl=tls_context(s) if s.imap_ssl else None), s.timeout)
        try:
            await self._line(reader)  # greeting
            if s.imap_starttls:
                await self._command(reader, writer, b"STARTTLS")
                await writer.start_tls(tls_context(s), server_hostname=s.imap_host)
            capabilities = b" ".join(await self._command(reader, writer, b"CAPABILITY")).upper()
            if b" IDLE" not in capabilities:
                raise IdleUnsupported
            await self._login(reader, writer)
            await self._command(reader, writer, b"EXAMINE " + encode_mailbox(s.mailbox).encode("ascii"))
            self.connected = True
            await self.on_new_mail()  # mail may have come while this watcher was not connected
            while True:
                if await self._idle(reader, writer):
                    await self.on_new_mail()
        finally:
            self.idling.clear()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _idle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """One IDLE: True when new mail was announced, False when it was only renewed."""
        tag = self._next_tag()
        writer.write(tag + b" IDLE\r\n")
        await writer.drain()
        first = await self._line(reader)
        if not first.startswith(b"+"):
            raise ImapProtocolError(f"IDLE refused: {first!r}")
        self.idling.set()
        new_mail = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.renew
        while True:
            timeout = (self.debounce if new_mail else deadline - loop.time())
            try:
                line = await asyncio.wait_for(self._line(reader), max(timeout, 0.0))
            except TimeoutError:
                break
            if _EXISTS.match(line) and not line.upper().startswith(b"* 0 "):
                new_mail = True
            elif line.startswith(b"* BYE"):
                raise ImapProtocolError(f"server closed the connection: {line!r}")
        self.idling.clear()
        writer.write(b"DONE\r\n")
        await writer.drain()
        await self._until_tagged(reader, tag)
        return new_mail

    async def _login(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        s = self.settings
        assert s.username is not None
        assert s.password is not None
        tag = self._next_tag()
        parts = [s.username, s.password.get_secret_value()]
        writer.write(tag + b" LOGIN ")
        for i, part in enumerate(parts):
            data = part.encode("utf-8")
            if all(32 <= b < 127 for b in data):
                writer.write(b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"')
            else:  # non-ASCII or control characters: a literal
                writer.write(b"{%d}\r\n" % len(data))
                await writer.drain()
                if not (await self._line(reader)).startswith(b"+"):
                    raise ImapProtocolError("LOGIN literal refused")
                writer.write(data)
            writer.write(b" " if i == 0 else b"\r\n")
        await writer.drain()
        await self._until_tagged(reader, tag, what="LOGIN")

    async def _command(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, command: bytes) -> list[bytes]:
        tag = self._next_tag()
        writer.write(tag + b" " + command + b"\r\n")
        await writer.drain()
        return await self._until_tagged(reader, tag, what=command.split(b" ", 1)[0].decode())

    async def _until_tagged(self, reader: asyncio.StreamReader, tag: bytes, what: str = "IDLE") -> list[bytes]:
        untagged: list[bytes] = []
        while True:
            line = await asyncio.wait_for(self._line(reader), self.settings.timeout)
            if line.startswith(tag + b" "):
                status = line[len(tag) + 1 :].split(b" ", 1)[0].upper()
                if status != b"OK":
                    raise ImapProtocolError(f"{what} refused: {line.decode('utf-8', 'replace').strip()}")
                return untagged
            untagged.append(line)

    async def _line(self, reader: asyncio.StreamReader) -> bytes:
        line = await reader.readuntil(b"\r\n")
        literal = _LITERAL.search(line)
        while literal:  # a line carrying a literal continues after it
            line += await reader.readexactly(int(literal.group(1)))
            rest = await reader.readuntil(b"\r\n")
            line += rest
            literal = _LITERAL.search(rest)
        return line

    def _next_tag(self) -> bytes:
        self._tag += 1
        return b"W%04d" % self._tag
