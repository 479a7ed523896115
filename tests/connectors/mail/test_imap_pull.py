"""Reading a real mailbox (Dovecot): pages, the UID cursor, UIDVALIDITY, flags and moves only after the commit."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.mail import MailConnector
from connectors.mail.imap import decode_mailbox, encode_mailbox, uid_set
from hub.sdk import Page, StreamState, VendorError
from tests.connectors.mail.conftest import fixture, read_all, records
from tests.connectors.mail.servers import Dovecot, MailUser

Connect = Callable[..., MailConnector]
CUSTOMER_MAIL = ["utf8_qp.eml", "gb2312_declared_gbk.eml", "gbk_8bit.eml", "gb18030_4byte.eml", "big5.eml",
                 "html_only.eml", "attachments.eml"]


def keys(pages: list[Page]) -> list[str]:
    return [r["thread_key"] for r in records(pages)]


def test_each_customer_mail_becomes_a_thread_record_in_mailbox_order(
    dovecot: Dovecot, mail_user: MailUser, connect: Connect
) -> None:
    dovecot.append(mail_user, [fixture(n) for n in CUSTOMER_MAIL])

    pages = read_all(connect(page_size=3))

    assert [len(p.records) for p in pages] == [3, 3, 1, 0]
    assert keys(pages) == ["<utf8-qp-001@huadong-jixie.cn>", "<gb2312-lies-002@qq.com>",
                           "<gbk-8bit-003@xinda-trade.com>", "<gb18030-004@yoshinoya-sh.cn>",
                           "<big5-005@tw-precision.com.tw>", "<html-only-006@dongfang-heavy.cn>",
                           "<attachments-007@huadong-jixie.cn>"]
    first = records(pages)[0]
    assert (first["subject"], first["channel"], first["mail"]["requester"]) == (
        "A-100 数控机床报价咨询", "mail", {"email": "zhang.wei@huadong-jixie.cn", "name": "张伟"})
    assert [p.state.cursor for p in pages] == [3, 6, 7, 7]


def test_the_uid_cursor_survives_a_restart_and_reads_only_new_mail(
    dovecot: Dovecot, mail_user: MailUser, connect: Connect
) -> None:
    dovecot.append(mail_user, [fixture("utf8_qp.eml"), fixture("big5.eml")])
    saved = read_all(connect())[-1].state.to_json()  # as the engine stores it (JSON)

    dovecot.append(mail_user, [fixture("gbk_8bit.eml")])
    again = read_all(connect(), StreamState.from_json(saved))  # a new connector: a restarted process

    assert keys(again) == ["<gbk-8bit-003@xinda-trade.com>"]
    assert read_all(connect(), again[-1].state)[0].records == []


def test_a_changed_uidvalidity_restarts_the_cursor(dovecot: Dovecot, mail_user: MailUser, connect: Connect) -> None:
    folder = "客服-售后"  # a Chinese folder name: IMAP modified UTF-7 on the wire
    client = dovecot.client(mail_user)
    client.create(encode_mailbox(folder))
    client.logout()
    dovecot.append(mail_user, [fixture("utf8_qp.eml")], mailbox=encode_mailbox(folder))
    first = read_all(connect(mailbox=folder))
    validity = first[-1].state.data["mailboxes"][folder]["uidvalidity"]

    client = dovecot.client(mail_user)  # the folder is re-created (restored from a backup): new UIDVALIDITY
    client.delete(encode_mailbox(folder))
    client.create(encode_mailbox(folder))
    client.logout()
    dovecot.append(mail_user, [fixture("big5.eml"), fixture("gbk_8bit.eml")], mailbox=encode_mailbox(folder))
    again = read_all(connect(mailbox=folder), first[-1].state)

    assert again[-1].state.data["mailboxes"][folder]["uidvalidity"] != validity
    assert keys(again) == ["<big5-005@tw-precision.com.tw>", "<gbk-8bit-003@xinda-trade.com>"]  # from UID 1 again


def test_each_mailbox_keeps_its_own_cursor(dovecot: Dovecot, mail_user: MailUser, connect: Connect) -> None:
    client = dovecot.client(mail_user)
    client.create("Sales")
    client.logout()
    dovecot.append(mail_user, [fixture("utf8_qp.eml")])
    dovecot.append(mail_user, [fixture("big5.eml")], mailbox="Sales")
    inbox = read_all(connect())

    sales = read_all(connect(mailbox="Sales"), inbox[-1].state)

    assert keys(sales) == ["<big5-005@tw-precision.com.tw>"]
    assert set(sales[-1].state.data["mailboxes"]) == {"INBOX", "Sales"}


async def _first_page_then(connector: MailConnector, state: StreamState, *, commit: bool) -> Page:
    """Drive read() like the engine: take one page; commit=True asks for the next (the engine committed),
    commit=False closes the generator (the engine's commit failed)."""
    pages = connector.read("thread", state, full=False)
    first = await pages.__anext__()
    if commit:
        await pages.__anext__()
    await pages.aclose()
    return first


def test_messages_are_flagged_only_after_the_engine_committed_their_page(
    dovecot: Dovecot, mail_user: MailUser, connect: Connect
) -> None:
    dovecot.append(mail_user, [fixture("utf8_qp.eml"), fixture("big5.eml"), fixture("bounce.eml")])
    connector = connect(page_size=3)

    asyncio.run(_first_page_then(connector, StreamState(), commit=False))
    untouched = dovecot.flags(mail_user)
    asyncio.run(_first_page_then(connector, StreamState(), commit=True))
    flagged = dovecot.flags(mail_user)

    assert all("\\Seen" not in f for f in untouched.values())
    assert "\\Seen $HubTicket" in flagged["<utf8-qp-001@huadong-jixie.cn>"]
    assert "\\Seen $HubTicket" in flagged["<big5-005@tw-precision.com.tw>"]
    assert "\\Seen" not in flagged["<bounce-010@mx.hub-test.cn>"]  # noise is left for a person


def test_a_crash_between_commit_and_flag_is_finished_by_the_next_read(
    dovecot: Dovecot, mail_user: MailUser, connect: Connect
) -> None:
    dovecot.append(mail_user, [fixture("utf8_qp.eml"), fixture("big5.eml")])
    committed = asyncio.run(_first_page_then(connect(), StreamState(), commit=False))  # the state was committed
    assert committed.state.data["mailboxes"]["INBOX"]["pending"] == [1, 2]

    pages = read_all(connect(), committed.state)

    assert pages[-1].records == []
    assert pages[-1].state.data["mailboxes"]["INBOX"]["pending"] == []
    assert all("$HubTicket" in f for f in dovecot.flags(mail_user).values())


def test_move_after_commit_puts_handled_mail_in_the_folder(
    dovecot: Dovecot, mail_user: MailUser, connect: Connect
) -> None:
    dovecot.append(mail_user, [fixture("utf8_qp.eml"), fixture("auto_reply.eml"), fixture("big5.eml")])

    read_all(connect(after="move:已处理"))

    assert list(dovecot.flags(mail_user)) == ["<auto-reply-009@huadong-jixie.cn>"]
    assert sorted(dovecot.flags(mail_user, encode_mailbox("已处理"))) == [
        "<big5-005@tw-precision.com.tw>", "<utf8-qp-001@huadong-jixie.cn>"]


def test_after_none_leaves_the_mailbox_as_it_was(dovecot: Dovecot, mail_user: MailUser, connect: Connect) -> None:
    dovecot.append(mail_user, [fixture("utf8_qp.eml")])

    read_all(connect(after="none"))

    assert "\\Seen" not in dovecot.flags(mail_user)["<utf8-qp-001@huadong-jixie.cn>"]


def test_malformed_mail_becomes_a_record_with_its_raw_bytes_and_reading_goes_on(
    dovecot: Dovecot, mail_user: MailUser, connect: Connect
) -> None:
    dovecot.append(mail_user, [fixture("malformed_multipart.eml"), fixture("utf8_qp.eml"),
                               fixture("malformed_no_sender.eml")])

    found = records(read_all(connect()))

    assert [r["channel"].split(":")[0] for r in found] == ["malformed", "mail", "malformed"]
    assert base64.b64decode(found[0]["raw_base64"]) == fixture("malformed_multipart.eml")
    assert found[2]["thread_key"] == "<malformed-013@unknown>"


def test_attachments_are_stored_by_checksum_with_the_size_limit(
    dovecot: Dovecot, mail_user: MailUser, connect: Connect, tmp_path: Path
) -> None:
    dovecot.append(mail_user, [fixture("attachments.eml")])

    [record] = records(read_all(connect(attachment_max_bytes=32768)))

    listed = record["mail"]["attachments"]
    assert [(a["name"], a["type"], a["size"], a["stored"]) for a in listed] == [
        ("报价单.pdf", "application/pdf", 83, True), ("现场照片.png", "image/png", 67, True),
        ("machine.log", "application/octet-stream", 65536, False)]
    stored = tmp_path / "attachments" / listed[0]["path"]
    assert stored.read_bytes().startswith(b"%PDF-1.4")
    assert stored.name == listed[0]["sha256"]
    assert "attachment_max_bytes" in listed[2]["skipped"]


def test_a_message_over_max_message_bytes_is_read_as_headers_only(
    dovecot: Dovecot, mail_user: MailUser, connect: Connect
) -> None:
    dovecot.append(mail_user, [fixture("attachments.eml")])

    [record] = records(read_all(connect(max_message_bytes=4096)))

    assert (record["subject"], record["body"], record["mail"]["attachments"]) == ("报价单和现场照片", "", [])
    assert "max_message_bytes" in record["mail"]["note"]


@pytest.mark.parametrize("mode", ["imaps", "starttls"])
def test_tls_connections_check_the_certificate_against_tls_ca_file(
    dovecot: Dovecot, mail_user: MailUser, connect: Connect, certificates: Any, mode: str
) -> None:
    dovecot.append(mail_user, [fixture("utf8_qp.eml")])
    tls: dict[str, Any] = ({"imap_ssl": True, "imap_port": dovecot.ssl_port} if mode == "imaps"
                           else {"imap_starttls": True})

    trusted = asyncio.run(connect(tls_ca_file=str(certificates.ca_file), **tls).check())
    untrusted = asyncio.run(connect(**tls).check())

    assert trusted.ok, trusted.message
    assert "INBOX has 1 message(s)" in trusted.message
    assert not untrusted.ok
    assert "tls_ca_file" in untrusted.message


def test_a_wrong_password_fails_with_what_to_fix(connect: Connect) -> None:
    health = asyncio.run(connect(password="wrong").check())
    assert (health.ok, health.details["code"]) == (False, VendorError.code)
    assert "check username and password" in health.message


def test_a_missing_mailbox_is_named(connect: Connect) -> None:
    with pytest.raises(VendorError, match="mailbox"):
        read_all(connect(mailbox="Nope"))


@pytest.mark.parametrize(("name", "wire"), [("INBOX", '"INBOX"'), ("已处理", '"&XfJZBHQG-"'),
                                            ("A&B", '"A&-B"'), ('客服/"x"', '"&W6JnDQ-/\\"x\\""')])
def test_mailbox_names_use_modified_utf7(name: str, wire: str) -> None:
    assert encode_mailbox(name) == wire
    assert decode_mailbox(wire[1:-1].replace('\\"', '"')) == name


def test_uid_sets_are_compact() -> None:
    assert uid_set([9, 1, 2, 3, 7, 10, 2]) == "1:3,7,9:10"
