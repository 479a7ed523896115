"""A blocking IMAP session (stdlib ``imaplib``), driven from a worker thread with ``asyncio.to_thread``.

Why imaplib in a thread: it is the standard library's, handles literals, TLS and
STARTTLS, and a sync does a few large round trips (search, fetch a page, store), so one
thread per sync costs nothing. IMAP IDLE, which must wait for hours and be cancelled at
once, is done separately with asyncio streams (``idle.py``).

Every failure is translated by ``errors.imap_error``. Mailbox names are sent in IMAP's
modified UTF-7, so ``已处理`` and ``客服/投诉`` work.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import re
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from connectors.mail.errors import imap_error
from connectors.mail.settings import MailSettings

T = TypeVar("T")
SEARCH_WINDOW = 20_000  # UIDs per SEARCH, so a huge mailbox never makes a line longer than imaplib accepts
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_INTERNALDATE = re.compile(rb'\bINTERNALDATE "([^"]+)"')
_RESPONSE_CODES = ("NONEXISTENT", "AUTHENTICATIONFAILED", "AUTHORIZATIONFAILED", "UNAVAILABLE", "INUSE", "LIMIT",
                   "SERVERBUG", "ALREADYEXISTS", "CANNOT", "NOPERM", "OVERQUOTA")


@dataclass(frozen=True)
class MessageMeta:
    uid: int
    size: int
    received: datetime | None


@dataclass(frozen=True)
class Selected:
    mailbox: str
    uidvalidity: int
    uidnext: int | None
    keywords_allowed: bool  # PERMANENTFLAGS has \* : the server keeps keywords such as $HubTicket


def tls_context(settings: MailSettings) -> ssl.SSLContext:
    """Certificate and host name checked, always; a private CA comes from tls_ca_file."""
    return ssl.create_default_context(cafile=settings.tls_ca_file) if settings.tls_ca_file else \
        ssl.create_default_context()


def encode_mailbox(name: str) -> str:
    """A mailbox name in IMAP modified UTF-7 (RFC 3501 §5.1.3), quoted for the command line."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            data = "".join(run).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",") + "-")
            run.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            run.append(char)
    flush()
    encoded = "".join(out)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def decode_mailbox(name: str) -> str:
    """The reverse of encode_mailbox (without the quotes)."""

    def decode(match: re.Match[str]) -> str:
        chunk = match.group(1)
        if not chunk:
            return "&"
        data = chunk.replace(",", "/")
        data += "=" * (-len(data) % 4)
        return base64.b64decode(data).decode("utf-16-be")

    return re.sub(r"&([A-Za-z0-9+,]*)-", decode, name)


def uid_set(uids: Iterable[int]) -> str:
    """``1:3,7,9:10`` for the given UIDs."""
    ordered = sorted(set(uids))
    ranges: list[str] = []
    start = prev = None
    for uid in ordered:
        if start is None:
            start = prev = uid
        elif prev is not None and uid == prev + 1:
            prev = uid
        else:
            ranges.append(f"{start}:{prev}" if start != prev else f"{start}")
            start = prev = uid
    if start is not None:
        ranges.append(f"{start}:{prev}" if start != prev else f"{start}")
    return ",".join(ranges)


class ImapSession:
    """One logged-in connection. Blocking: call it from a thread."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.conn: imaplib.IMAP4 | None = None
        self.capabilities: frozenset[str] = frozenset()
        self.selected: Selected | None = None

    # -- connection -------------------------------------------------------------------------------

    def open(self) -> ImapSession:
        s = self.settings
        assert s.imap_host is not None
        assert s.username is not None

        host = s.imap_host

        def connect() -> imaplib.IMAP4:
            if s.imap_ssl:
                return imaplib.IMAP4_SSL(host, s.effective_imap_port, ssl_context=tls_context(s), timeout=s.timeout)
            conn = imaplib.IMAP4(host, s.effective_imap_port, timeout=s.timeout)
            if s.imap_starttls:
                try:
                    conn.starttls(ssl_context=tls_context(s))
                except BaseException:
                    with contextlib.suppress(OSError):  # never handed out: close its socket here
                        conn.shutdown()
                    raise
            return conn

        self.conn = self._call("connect", connect)
        secret = s.password.get_secret_value() if s.password else ""
        self._call("LOGIN", lambda: self._ok(self._conn.login(s.username or "", secret)))
        _typ, data = self._call("CAPABILITY", lambda: self._conn.capability())
        self.capabilities = frozenset(data[0].decode("ascii", "replace").upper().split()) if data and data[0] \
            else frozenset()
        return self

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):  # closing after a failure: the socket may already be gone
            conn.logout()

    @property
    def _conn(self) -> imaplib.IMAP4:
        if self.conn is None:
            raise imaplib.IMAP4.abort("not connected")
        return self.conn

    def _call(self, what: str, action: Callable[[], T]) -> T:
        try:
            return action()
        except Exception as exc:
            raise imap_error(exc, what=what) from exc

    def _uid(self, command: str, *args: str) -> tuple[str, Any]:
        return self._ok(self._conn.uid(command, *args))

    def _ok(self, result: tuple[str, Any]) -> tuple[str, Any]:
        typ, data = result
        if typ != "OK":
            text = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace") if data else typ
            # imaplib files a tagged answer's response code ([NONEXISTENT]) apart from its text: put it back
            pending = self.conn.untagged_responses if self.conn is not None else {}
            codes = [c for c in _RESPONSE_CODES if c in pending]
            raise imaplib.IMAP4.error(f"{typ} {''.join(f'[{c}] ' for c in codes[:1])}{text}")
        return result

    # -- mailboxes --------------------------------------------------------------------------------

    def select(self, mailbox: str) -> Selected:
        conn = self._conn
        typ, data = self._call(f"SELECT {mailbox}", lambda: conn.select(encode_mailbox(mailbox)))
        if typ != "OK":  # servers rarely say why (Dovecot: "Mailbox doesn't exist"): name the setting to check
            text = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
            raise imap_error(imaplib.IMAP4.error(f"NO [NONEXISTENT] {text}"), what=f"SELECT {mailbox}")
        uidvalidity = _first_int(conn.response("UIDVALIDITY")[1])
        if uidvalidity is None:
            raise imap_error(imaplib.IMAP4.error(f"the server sent no UIDVALIDITY for {mailbox}"), what="SELECT")
        flags = b" ".join(x for x in conn.response("PERMANENTFLAGS")[1] or [] if isinstance(x, bytes))
        self.selected = Selected(mailbox, uidvalidity, _first_int(conn.response("UIDNEXT")[1]), b"\\*" in flags)
        return self.selected

    def ensure_mailbox(self, mailbox: str) -> None:
        """Create the folder unless it exists (a CREATE that fails because it exists is fine)."""
        conn = self._conn
        typ, data = self._call("LIST", lambda: conn.list('""', encode_mailbox(mailbox)))
        if typ == "OK" and any(isinstance(d, bytes | tuple) for d in data if d):
            return
        self._call(f"CREATE {mailbox}", lambda: conn.create(encode_mailbox(mailbox)))

    # -- reading ----------------------------------------------------------------------------------

    def uids_after(self, last: int, *, limit: int) -> list[int]:
        """Up to ``limit`` UIDs greater than ``last``, ascending."""
        uidnext = self.selected.uidnext if self.selected else None
        found: list[int] = []
        low = last + 1
        while len(found) < limit:
            high: int | str = low + SEARCH_WINDOW - 1 if uidnext is not None else "*"
            criteria = f"UID {low}:{high}"
            _typ, data = self._call("UID SEARCH", partial(self._uid, "SEARCH", criteria))
            found += sorted(u for u in _ints(data) if u > last)  # "n:*" always matches the last message
            if uidnext is None or not isinstance(high, int) or high >= uidnext - 1:
                break
            low = high + 1
        return found[:limit]

    def fetch_meta(self, uids: Sequence[int]) -> dict[int, MessageMeta]:
        conn = self._conn
        _typ, data = self._call("UID FETCH", lambda: self._ok(
            conn.uid("FETCH", uid_set(uids), "(UID RFC822.SIZE INTERNALDATE)")))
        found: dict[int, MessageMeta] = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if not isinstance(line, bytes):
                continue
            uid, size = _UID.search(line), _SIZE.search(line)
            if uid is None:
                continue
            date = _INTERNALDATE.search(line)
            found[int(uid.group(1))] = MessageMeta(int(uid.group(1)), int(size.group(1)) if size else 0,
                                                   _internaldate(date.group(1)) if date else None)
        return found

    def fetch_raw(self, uids: Sequence[int], *, headers_only: bool = False) -> dict[int, bytes]:
        """The messages' bytes (BODY.PEEK: reading never marks them \\Seen)."""
        if not uids:
            return {}
        conn = self._conn
        section = "BODY.PEEK[HEADER]" if headers_only else "BODY.PEEK[]"
        _typ, data = self._call("UID FETCH", lambda: self._ok(conn.uid("FETCH", uid_set(uids), f"(UID {section})")))
        found: dict[int, bytes] = {}
        for i, item in enumerate(data):
            if not isinstance(item, tuple) or len(item) < 2:
                continue
            match = _UID.search(item[0])
            if match is None and i + 1 < len(data) and isinstance(data[i + 1], bytes):
                match = _UID.search(data[i + 1])  # some servers send UID after the literal
            if match is not None:
                found[int(match.group(1))] = bytes(item[1])
        return found

    # -- after the commit -------------------------------------------------------------------------

    def add_flags(self, uids: Sequence[int], flags: Sequence[str]) -> None:
        conn = self._conn
        self._call("UID STORE", lambda: self._ok(
            conn.uid("STORE", uid_set(uids), "+FLAGS.SILENT", "(" + " ".join(flags) + ")")))

    def move(self, uids: Sequence[int], mailbox: str) -> None:
        conn = self._conn
        target = encode_mailbox(mailbox)
        if "MOVE" in self.capabilities:
            self._call("UID MOVE", lambda: self._ok(conn.uid("MOVE", uid_set(uids), target)))
            return
        self._call("UID COPY", lambda: self._ok(conn.uid("COPY", uid_set(uids), target)))
        self.add_flags(uids, ["\\Deleted"])
        if "UIDPLUS" in self.capabilities:
            self._call("UID EXPUNGE", lambda: self._ok(conn.uid("EXPUNGE", uid_set(uids))))
        else:
            self._call("EXPUNGE", lambda: self._ok(conn.expunge()))

    # -- the sent folder --------------------------------------------------------------------------

    def has_message_id(self, mailbox: str, message_id: str) -> bool:
        """Whether a message with this Message-ID is in the folder (EXAMINE: read-only)."""
        conn = self._conn
        typ, _ = self._call(f"EXAMINE {mailbox}", lambda: conn.select(encode_mailbox(mailbox), readonly=True))
        if typ != "OK":
            return False  # no such folder yet: nothing was ever saved there
        self.selected = None
        quoted = '"' + message_id.replace("\\", "\\\\").replace('"', '\\"') + '"'
        typ, data = self._call("UID SEARCH", lambda: self._ok(conn.uid("SEARCH", "HEADER", "Message-ID",
                                                                       quoted)))
        return bool(list(_ints(data)))

    def append(self, mailbox: str, raw: bytes, flags: str = "(\\Seen)") -> None:
        conn = self._conn
        stamp = imaplib.Time2Internaldate(time.time())
        self._call(f"APPEND {mailbox}", lambda: self._ok(conn.append(encode_mailbox(mailbox), flags, stamp, raw)))


def _ints(data: Iterable[Any]) -> Iterable[int]:
    for chunk in data:
        if isinstance(chunk, bytes):
            yield from (int(x) for x in chunk.split() if x.isdigit())


def _first_int(data: Sequence[Any] | None) -> int | None:
    for chunk in data or []:
        if isinstance(chunk, bytes):
            digits = re.search(rb"\d+", chunk)
            if digits:
                return int(digits.group(0))
    return None


def _internaldate(text: bytes) -> datetime | None:
    try:
        return datetime.strptime(text.decode("ascii").strip(), "%d-%b-%Y %H:%M:%S %z").astimezone(UTC)
    except ValueError:
        return None
