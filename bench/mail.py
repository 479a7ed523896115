"""Benchmark: pull a mailbox of 2,000 mixed messages from a local Dovecot into tickets through the sync engine.

Run:  .venv/bin/python bench/mail.py [--messages 2000] [--page-size 100]

The mailbox (delivered with IMAP APPEND, not timed) mixes what a support address gets:
conversations of one to six messages (replies carry In-Reply-To/References, some only
In-Reply-To), UTF-8, GBK labelled gb2312, GB18030 and Big5 bodies, HTML-only mail, small
attachments, out-of-office replies and bounces (no ticket), messages delivered twice
(duplicates) and malformed ones (quarantined).

Reported: the raw IMAP rate (SEARCH + FETCH of every message in pages, no parsing: the
baseline), the full pull in messages/s (``hub.sync.engine.run_sync``: fetch -> parse ->
noise -> threading -> customer -> attachments -> mapping -> upsert + events -> cursor,
then the flags; target >= 200 messages/s) and its share of the raw rate; and a check
that every conversation became exactly one ticket with the right number of comments.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import logging
import platform
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select

from connectors.mail import MailConnector, MailSettings
from connectors.mail.imap import ImapSession
from connectors.mail.message import MalformedMessage, parse_mail
from connectors.mail.quotes import trim_quoted
from hub.db.engine import create_db_engine
from hub.db.migrate import upgrade
from hub.sdk import registry
from hub.store.tables import RecordRef
from hub.sync.engine import SyncRequest, run_sync
from hub.workspace.loader import load_workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.connectors.mail.servers import Dovecot, MailUser, make_certificates, temporary_root

HUB_YAML = """
connectors:
  support:
    type: mail
    settings:
      imap_host: 127.0.0.1
      imap_port: {port}
      imap_ssl: false
      username: {user}
      password: ${{MAIL_PASSWORD}}
      page_size: {page_size}
      attachments_dir: {attachments}
      from_address: "客服中心 <support@hub-test.cn>"
    entities:
      ticket: {{mapping: mail-ticket}}
"""
CHARSETS = ("utf-8", "gb2312", "gb18030", "big5")
TEXTS = {"big5": "您好，請問產品保固期是多久？工廠需要維修服務。",
         "default": "您好，我们的 A-100 机床报 E101 错误，请尽快安排工程师。"}


@dataclass
class Mailbox:
    messages: list[bytes] = field(default_factory=list)
    threads: int = 0
    replies: int = 0
    noise: int = 0
    malformed: int = 0
    duplicates: int = 0


def _b64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii").replace("\n", "\r\n")


def _message(n: int, *, charset: str, subject: str, parents: list[str], html: bool, attachment: bool,
             headers: str = "", references: bool = True) -> tuple[str, bytes]:
    message_id = f"<bench-{n}@customer{n % 40}.cn>"
    traditional = charset == "big5"
    text = TEXTS.get(charset, TEXTS["default"]) + f"\r\n{'編號' if traditional else '编号'} {n}\r\n"
    if parents:
        text += ("\r\n在 2026年3月9日 08:30，客戶 <c@customer.cn> 寫道：\r\n> 上一封郵件\r\n" if traditional
                 else "\r\n在 2026年3月9日 08:30，客户 <c@customer.cn> 写道：\r\n> 上一封邮件\r\n")
    codec = "gbk" if charset == "gb2312" else charset  # GBK text labelled gb2312, as Outlook does
    body = text.encode(codec)
    head = (f"From: =?utf-8?B?{base64.b64encode('客户'.encode()).decode()}?= <buyer{n % 97}@customer{n % 40}.cn>\r\n"
            f"To: support@hub-test.cn\r\nSubject: =?utf-8?B?{base64.b64encode(subject.encode()).decode()}?=\r\n"
            f"Date: Mon, 09 Mar 2026 08:30:00 +0800\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n{headers}")
    if parents:
        head += f"In-Reply-To: {parents[-1]}\r\n"
        if references:
            head += f"References: {' '.join(parents)}\r\n"
    if html:
        part = f"<html><body><p>{text.replace(chr(13) + chr(10), '<br>')}</p></body></html>".encode(codec)
        return message_id, (head + f"Content-Type: text/html; charset={charset}\r\nContent-Transfer-Encoding: base64"
                            f"\r\n\r\n{_b64(part)}").encode("ascii")
    if not attachment:
        return message_id, (head + f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: "
                            f"base64\r\n\r\n{_b64(body)}").encode("ascii")
    boundary = f"b-{n}"
    return message_id, (head + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
                        f"--{boundary}\r\nContent-Type: text/plain; charset={charset}\r\n"
                        f"Content-Transfer-Encoding: base64\r\n\r\n{_b64(body)}"
                        f"--{boundary}\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
                        f"Content-Disposition: attachment; filename*=UTF-8''%E6%8A%A5%E4%BB%B7{n}.pdf\r\n\r\n"
                        f"{_b64(b'%PDF-1.4 ' + bytes(random.randrange(256) for _ in range(2048)))}"
                        f"--{boundary}--\r\n").encode("ascii")


def mixed_mailbox(total: int, seed: int = 7) -> Mailbox:
    """Conversations interleaved as they arrive, plus noise, duplicates and malformed mail."""
    rng = random.Random(seed)
    box = Mailbox()
    open_threads: list[tuple[str, list[str]]] = []  # subject, message ids so far
    n = 0
    while len(box.messages) < total:
        n += 1
        roll = rng.random()
        if roll < 0.04:
            box.messages.append(f"From: MAILER-DAEMON@mx.cn\r\nMessage-ID: <bounce-{n}@mx.cn>\r\nContent-Type: "
                                f"multipart/report; report-type=delivery-status; boundary=r\r\n\r\n--r\r\n\r\n"
                                f"failed\r\n--r--\r\n".encode())
            box.noise += 1
        elif roll < 0.07:
            _, raw = _message(n, charset="utf-8", subject="自动回复: 休假", parents=[], html=False, attachment=False,
                              headers="Auto-Submitted: auto-replied\r\n")
            box.messages.append(raw)
            box.noise += 1
        elif roll < 0.08:
            box.messages.append(f"Subject: broken {n}\r\nMessage-ID: <broken-{n}@x.cn>\r\n\r\nno sender\r\n".encode())
            box.malformed += 1
        elif roll < 0.10 and box.messages:
            again = rng.randrange(len(box.messages))  # delivered twice
            box.messages.append(box.messages[again])
            box.duplicates += 1
            if box.messages[again].startswith(b"Subject: broken"):
                box.malformed += 1  # quarantined again (the same pending entry, counted per page)
        elif open_threads and roll < 0.55:
            index = rng.randrange(len(open_threads))
            subject, ids = open_threads[index]
            message_id, raw = _message(n, charset=rng.choice(CHARSETS), subject=f"回复：{subject}", parents=ids,
                                       html=rng.random() < 0.1, attachment=rng.random() < 0.05,
                                       references=rng.random() > 0.2)
            ids.append(message_id)
            box.messages.append(raw)
            box.replies += 1
            if len(ids) >= 6:
                open_threads.pop(index)
        else:
            subject = f"设备 A-{n} 故障咨询"
            message_id, raw = _message(n, charset=rng.choice(CHARSETS), subject=subject, parents=[],
                                       html=rng.random() < 0.15, attachment=rng.random() < 0.1)
            open_threads.append((subject, [message_id]))
            box.messages.append(raw)
            box.threads += 1
    return box


def raw_rate(settings: MailSettings, page_size: int) -> tuple[int, float]:
    session = ImapSession(settings).open()
    try:
        started = time.perf_counter()
        session.select(settings.mailbox)
        last, count = 0, 0
        while uids := session.uids_after(last, limit=page_size):
            count += len(session.fetch_raw(uids))
            last = uids[-1]
        return count, time.perf_counter() - started
    finally:
        session.close()


def parse_time(messages: list[bytes]) -> float:
    """Seconds to parse and decode every message (MIME, charsets, HTML, quotes), in this process alone."""
    started = time.perf_counter()
    for raw in messages:
        try:
            mail = parse_mail(raw)
        except MalformedMessage:
            continue
        trim_quoted(mail.text)
    return time.perf_counter() - started


def count_refs(engine: Engine) -> int:
    refs = RecordRef.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(refs).where(refs.c.system == "mail")).scalar_one())


def comments(engine: Engine) -> int:
    refs = RecordRef.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        raws = conn.execute(select(refs.c.raw).where(refs.c.system == "mail")).scalars()
        return sum(len(r["mail"]["comments"]) for r in raws)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the skipped and quarantined messages are expected here
    root = temporary_root()
    dovecot = Dovecot(root, make_certificates(root / "certs"))
    dovecot.start()
    try:
        user: MailUser = dovecot.add_user()
        box = mixed_mailbox(args.messages)
        started = time.perf_counter()
        dovecot.append(user, box.messages)
        print(f"delivered {len(box.messages)} messages in {time.perf_counter() - started:.1f}s "
              f"({box.threads} conversations, {box.replies} replies, {box.noise} noise, {box.duplicates} duplicates, "
              f"{box.malformed} malformed)")
        settings = MailSettings(imap_host="127.0.0.1", imap_port=dovecot.port, imap_ssl=False, username=user.name,
                                password=user.password, attachments_dir=str(root / "attachments"), after="none")
        fetched, raw_seconds = raw_rate(settings, args.page_size)
        workspace_dir = Path(tempfile.mkdtemp(prefix="hub-bench-mail-"))
        (workspace_dir / "hub.yaml").write_text(HUB_YAML.format(
            port=dovecot.port, user=user.name, page_size=args.page_size, attachments=root / "attachments"),
            encoding="utf-8")
        workspace = load_workspace(workspace_dir, env={"MAIL_PASSWORD": user.password})
        engine = create_db_engine(f"sqlite:///{workspace_dir / 'hub.db'}")
        upgrade(engine)
        registry.connector_types = lambda: {"mail": MailConnector}  # type: ignore[assignment]
        started = time.perf_counter()
        outcome = asyncio.run(run_sync(engine, workspace, SyncRequest("support", "ticket")))
        sync_seconds = time.perf_counter() - started
        parse_seconds = parse_time(box.messages)
        tickets, found_comments = count_refs(engine), comments(engine)
        raw = fetched / raw_seconds
        pulled = len(box.messages) / sync_seconds
        print(f"machine: {platform.machine()}, Python {platform.python_version()}, SQLite, Dovecot on 127.0.0.1")
        print(f"raw IMAP fetch (baseline): {fetched} messages in {raw_seconds:.2f}s = {raw:,.0f} messages/s")
        print(f"full pull into tickets:    {len(box.messages)} messages in {sync_seconds:.2f}s = {pulled:,.0f} "
              f"messages/s ({pulled / raw:.2f} of raw); run {outcome.status}, {outcome.pages} pages, "
              f"counts {outcome.counts.as_dict()}")
        print(f"of which parsing and decoding alone: {parse_seconds:.2f}s "
              f"({len(box.messages) / parse_seconds:,.0f} messages/s, {parse_seconds / sync_seconds:.0%} of the pull)")
        print(f"threading: {tickets} tickets for {box.threads} conversations, {found_comments} comments for "
              f"{box.replies} replies, {outcome.counts.quarantined} quarantined for {box.malformed} malformed")
        ok = (tickets, found_comments, outcome.counts.quarantined) == (box.threads, box.replies, box.malformed)
        print("threading check:", "ok" if ok else "WRONG")
        engine.dispose()
        shutil.rmtree(workspace_dir, ignore_errors=True)
        if not ok:
            sys.exit(1)
    finally:
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
