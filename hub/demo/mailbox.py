"""A tiny in-memory IMAP server holding the demo's mail, so the real mail connector reads it.

Why: the mail connector pulls tickets over IMAP (Dovecot in its tests), which not every
machine has. This server speaks just the IMAP4rev1 subset the connector uses (LOGIN,
CAPABILITY, SELECT, UID SEARCH, UID FETCH, UID STORE, NOOP, LOGOUT) on 127.0.0.1, one
mailbox, plain text, so ``hub sync mail-support`` runs unchanged: parsing, threading,
sender to customer, the mapping and the store's events are the connector's own.
"""

from __future__ import annotations

import re
import socketserver
import threading
import time
from dataclasses import dataclass, field

_UID_SET = re.compile(r"^[0-9:*,]+$")


@dataclass
class StoredMail:
    uid: int
    raw: bytes
    received: float
    flags: set[str] = field(default_factory=set)


class Mailbox:
    """One IMAP folder's messages (thread-safe: the test harness appends while the server reads)."""

    def __init__(self, username: str, password: str, *, uidvalidity: int = 1) -> None:
        self.username = username
        self.password = password
        self.uidvalidity = uidvalidity
        self.messages: list[StoredMail] = []
        self.lock = threading.Lock()

    def append(self, raw: bytes) -> int:
        with self.lock:
            uid = (self.messages[-1].uid if self.messages else 0) + 1
            self.messages.append(StoredMail(uid, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), time.time()))
            return uid

    def flags_of(self, uid: int) -> set[str]:
        with self.lock:
            return next((set(m.flags) for m in self.messages if m.uid == uid), set())

    def select(self, uids: str) -> list[StoredMail]:
        with self.lock:
            last = self.messages[-1].uid if self.messages else 0
            wanted = _uid_set(uids, last)
            return [m for m in self.messages if m.uid in wanted]


def _uid_set(text: str, last: int) -> set[int]:
    found: set[int] = set()
    for part in text.split(","):
        low, _, high = part.partition(":")
        start = last if low == "*" else int(low)
        end = start if not high else (last if high == "*" else int(high))
        start, end = min(start, end), max(start, end)
        found.update(range(start, min(end, last) + 1))
    return found


def _imap_date(when: float) -> str:
    return time.strftime("%d-%b-%Y %H:%M:%S +0000", time.gmtime(when))


class _Session(socketserver.StreamRequestHandler):
    server: MailServer

    def send(self, line: str | bytes) -> None:
        data = line.encode("utf-8") if isinstance(line, str) else line
        self.wfile.write(data + b"\r\n")

    def handle(self) -> None:
        mailbox = self.server.mailbox
        logged_in = False
        self.send("* OK [CAPABILITY IMAP4rev1 UIDPLUS] hub demo mailbox ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            tag, _, rest = line.decode("utf-8", "replace").rstrip("\r\n").partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            if command == "UID":
                command, _, args = args.partition(" ")
                command = "UID " + command.upper()
            if command == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1 UIDPLUS")
            elif command == "NOOP":
                pass
            elif command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            elif command == "LOGIN":
                user, _, secret = args.partition(" ")
                if user.strip('"') != mailbox.username or secret.strip('"') != mailbox.password:
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")
                    continue
                logged_in = True
            elif not logged_in:
                self.send(f"{tag} BAD log in first")
                continue
            elif command in ("SELECT", "EXAMINE"):
                if args.strip('"').upper() != "INBOX":
                    self.send(f"{tag} NO [NONEXISTENT] only INBOX here")
                    continue
                with mailbox.lock:
                    count = len(mailbox.messages)
                    uidnext = (mailbox.messages[-1].uid if mailbox.messages else 0) + 1
                self.send("* FLAGS (\\Seen \\Deleted $HubTicket)")
                self.send(f"* {count} EXISTS")
                self.send("* 0 RECENT")
                self.send(f"* OK [UIDVALIDITY {mailbox.uidvalidity}] UIDs valid")
                self.send(f"* OK [UIDNEXT {uidnext}] predicted next UID")
                self.send("* OK [PERMANENTFLAGS (\\Seen \\Deleted \\*)] flags allowed")
            elif command == "UID SEARCH":
                criteria = args.split()
                uids = criteria[1] if len(criteria) == 2 and criteria[0].upper() == "UID" else "1:*"
                found = [str(m.uid) for m in mailbox.select(uids)] if _UID_SET.match(uids) else []
                self.send("* SEARCH" + "".join(" " + u for u in found))
            elif command == "UID FETCH":
                uids, _, items = args.partition(" ")
                for message in mailbox.select(uids):
                    self._fetch(message, items.upper())
            elif command == "UID STORE":
                uids, _, change = args.partition(" ")
                flags = set(change.partition("(")[2].rstrip(")").split())
                for message in mailbox.select(uids):
                    with mailbox.lock:
                        message.flags |= flags
            else:
                self.send(f"{tag} BAD {command} is not supported by the demo mailbox")
                continue
            self.send(f"{tag} OK {command} completed")

    def _fetch(self, message: StoredMail, items: str) -> None:
        seq = self.server.mailbox.messages.index(message) + 1
        if "BODY.PEEK[" in items:
            body = message.raw
            if "BODY.PEEK[HEADER]" in items:
                body = body.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
                section = "BODY[HEADER]"
            else:
                section = "BODY[]"
            self.wfile.write(f"* {seq} FETCH (UID {message.uid} {section} {{{len(body)}}}\r\n".encode() + body
                             + b")\r\n")
            return
        self.send(f'* {seq} FETCH (UID {message.uid} RFC822.SIZE {len(message.raw)} '
                  f'INTERNALDATE "{_imap_date(message.received)}")')


class MailServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mailbox: Mailbox, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Session)
        self.mailbox = mailbox

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self) -> MailServer:
        threading.Thread(target=self.serve_forever, name="demo imap", daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
