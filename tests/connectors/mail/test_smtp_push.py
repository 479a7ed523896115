"""Sending through a real SMTP server (aiosmtpd): threading headers, charsets, TLS, auth, retries, idempotency.

The connector's IMAP side points at the test Dovecot, whose Sent folder is what makes a
retried push with the same idempotency key send nothing twice.
"""

from __future__ import annotations

import asyncio
import email
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from connectors.mail import MailConnector
from connectors.mail.message import parse_mail
from hub.errors import ConfigError, RecordError, RetryableError
from hub.mapping import load_mapping
from hub.mapping.registry import shipped_mappings_dir
from hub.sdk import PushResult, VendorError, VendorRecordError
from tests.connectors.mail.servers import Authenticator, Certificates, Dovecot, MailUser, SmtpServer, start_smtp

Connect = Callable[..., MailConnector]
REPLY: dict[str, Any] = {
    "to": "张伟 <zhang.wei@huadong-jixie.cn>", "subject": "A-100 机床开机报警", "ticket_ref": "T-1024",
    "body": "工程师今天下午两点到现场。\n\n请提前准备好设备日志。",
    "message_ids": ["<thread-root-001@huadong-jixie.cn>", "<thread-reply-002@huadong-jixie.cn>"],
    "variables": {"customer_name": "张先生", "agent": "王工"},
}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp()
    yield server
    server.stop()


def push(connector: MailConnector, action: str, record: dict[str, Any], key: str = "flow-run-1:step-2") -> PushResult:
    return asyncio.run(connector.push(action, record, idempotency_key=key))


def sender(connect: Connect, server: SmtpServer, **settings: Any) -> MailConnector:
    return connect(smtp_host="127.0.0.1", smtp_port=server.port, smtp_security="none", **settings)


def received(server: SmtpServer, index: int = -1) -> EmailMessage:
    message = email.message_from_bytes(server.handler.received[index].data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_a_reply_carries_the_threading_headers_and_chinese_text(connect: Connect, smtp: SmtpServer) -> None:
    result = push(sender(connect, smtp), "reply", REPLY)

    message = received(smtp)
    assert result.created
    assert message["Message-ID"] == result.external_id
    assert message["In-Reply-To"] == "<thread-reply-002@huadong-jixie.cn>"
    assert message["References"].split() == REPLY["message_ids"]
    assert message["Subject"] == "回复：A-100 机床开机报警 [#T-1024]"
    assert str(message["From"]) == "客服中心 <support@hub-test.cn>"
    assert smtp.handler.received[-1].rcpt_tos == ["zhang.wei@huadong-jixie.cn"]
    text = message.get_body(("plain",))
    assert text is not None
    assert text.get_content_charset() == "utf-8"
    assert text.get_content().splitlines()[:4] == ["张先生，您好：", "", "工程师今天下午两点到现场。", ""]
    html = message.get_body(("html",))
    assert html is not None
    assert "请提前准备好设备日志。" in html.get_content()
    assert all(ord(c) < 128 for c in smtp.handler.received[-1].data.decode("ascii"))  # no 8BITMIME needed


def test_the_customers_answer_to_a_reply_threads_back_into_the_ticket(connect: Connect, smtp: SmtpServer) -> None:
    result = push(sender(connect, smtp), "reply", REPLY)
    answer = (f"From: zhang.wei@huadong-jixie.cn\r\nSubject: Re: x\r\nMessage-ID: <answer@huadong-jixie.cn>\r\n"
              f"In-Reply-To: {result.external_id}\r\nReferences: {received(smtp)['References']} {result.external_id}"
              "\r\n\r\n好的").encode()

    assert parse_mail(answer).parents[-1] == "<thread-root-001@huadong-jixie.cn>"  # the first message: a thread key


def test_a_reversed_ticket_is_answered_to_its_requester(connect: Connect, smtp: SmtpServer) -> None:
    mapping = load_mapping(shipped_mappings_dir() / "mail" / "ticket.yaml")
    canonical = {"subject": "型号 B-200 报警", "thread": ["<html-only-006@dongfang-heavy.cn>"], "channel": "mail",
                 "attributes": {"requester": {"email": "zhao.lei@dongfang-heavy.cn", "name": "Zhao Lei"}}}
    record = {**mapping.reverse(canonical), "body": "Engineer assigned.", "language": "en"}

    push(sender(connect, smtp), "reply", record)

    message = received(smtp)
    assert smtp.handler.received[-1].rcpt_tos == ["zhao.lei@dongfang-heavy.cn"]
    assert (message["Subject"], message["In-Reply-To"]) == ("Re: 型号 B-200 报警", "<html-only-006@dongfang-heavy.cn>")
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content().splitlines()[:3] == ["Dear Zhao Lei,", "", "Engineer assigned."]


def test_a_notice_is_marked_automatic_so_auto_responders_stay_quiet(connect: Connect, smtp: SmtpServer) -> None:
    push(sender(connect, smtp), "notice", {
        "to": ["workshop@huadong-jixie.cn"], "cc": "manager@huadong-jixie.cn", "bcc": ["audit@hub-test.cn"],
        "language": "en", "variables": {"title": "Production order MO-0042 created", "body": "5 x A-100",
                                        "fields": {"Due": "2026-03-20"}, "link": "https://hub.example.cn/mo/42"}})

    message = received(smtp)
    assert (message["Auto-Submitted"], message["X-Auto-Response-Suppress"]) == ("auto-generated", "All")
    assert message["Subject"] == "Production order MO-0042 created"
    assert message["Bcc"] is None
    assert smtp.handler.received[-1].rcpt_tos == ["workshop@huadong-jixie.cn", "manager@huadong-jixie.cn",
                                                  "audit@hub-test.cn"]
    body = message.get_body(("plain",))
    assert body is not None
    assert "Due: 2026-03-20" in body.get_content()
    assert "Details: https://hub.example.cn/mo/42" \
        in body.get_content()


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_auth(connect: Connect, certificates: Certificates, security: str) -> None:
    auth = Authenticator("support@hub-test.cn", "smtp-pass-1")
    server = start_smtp(security=security, certificates=certificates, auth=auth)
    try:
        connector = connect(smtp_host="127.0.0.1", smtp_port=server.port, smtp_security=security,
                            tls_ca_file=str(certificates.ca_file), smtp_username="support@hub-test.cn",
                            smtp_password="smtp-pass-1")
        push(connector, "reply", REPLY)
        health = asyncio.run(connector.check())
    finally:
        server.stop()

    assert server.handler.sessions[0] == {"tls": True, "authenticated": True, "login": b"support@hub-test.cn"}
    assert health.ok
    assert f"{security}, logged in" in health.message


def test_starttls_is_required_when_configured(connect: Connect, smtp: SmtpServer) -> None:
    with pytest.raises(VendorError, match="STARTTLS"):
        push(connect(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="starttls"), "reply", REPLY)
    assert smtp.handler.received == []


def test_a_wrong_smtp_password_fails_with_what_to_fix(connect: Connect, certificates: Certificates) -> None:
    server = start_smtp(security="starttls", certificates=certificates,
                        auth=Authenticator("support@hub-test.cn", "right"))
    try:
        connector = connect(smtp_host="127.0.0.1", smtp_port=server.port, smtp_security="starttls",
                            tls_ca_file=str(certificates.ca_file), smtp_password="wrong")
        with pytest.raises(VendorError, match="smtp_password"):
            push(connector, "reply", REPLY)
    finally:
        server.stop()


def test_greylisting_is_retried_and_the_mail_goes_out_once(connect: Connect, smtp: SmtpServer) -> None:
    smtp.handler.replies = ["451 4.7.1 Greylisted, try again later"]

    result = push(sender(connect, smtp), "reply", REPLY)

    assert result.created
    assert len(smtp.handler.sessions) == 2
    assert len(smtp.handler.received) == 1


def test_a_lasting_4xx_is_left_to_the_delivery_machinery_as_retryable(connect: Connect, smtp: SmtpServer) -> None:
    smtp.handler.replies = ["452 4.3.1 Insufficient system storage"] * 3

    with pytest.raises(RetryableError, match="Insufficient system storage"):
        push(sender(connect, smtp), "reply", REPLY)
    assert (len(smtp.handler.sessions), smtp.handler.received) == (3, [])


def test_a_5xx_refuses_the_mail_without_retrying(connect: Connect, smtp: SmtpServer) -> None:
    smtp.handler.replies = ["554 5.7.1 Message rejected as spam"]

    with pytest.raises(VendorRecordError, match="rejected as spam"):
        push(sender(connect, smtp), "reply", REPLY)
    assert len(smtp.handler.sessions) == 1


def test_a_refused_recipient_does_not_stop_the_others(connect: Connect, smtp: SmtpServer) -> None:
    smtp.handler.refuse["gone@huadong-jixie.cn"] = "550 5.1.1 No such user"

    result = push(sender(connect, smtp), "reply", {**REPLY, "cc": ["gone@huadong-jixie.cn"]})

    assert smtp.handler.received[-1].rcpt_tos == ["zhang.wei@huadong-jixie.cn"]
    assert result.raw is not None
    assert result.raw["refused"] == {"gone@huadong-jixie.cn": 550}


def test_a_retried_push_with_the_same_key_sends_nothing_twice_even_from_another_process(
    connect: Connect, smtp: SmtpServer, dovecot: Dovecot, mail_user: MailUser
) -> None:
    first = push(sender(connect, smtp), "reply", REPLY, key="run-7:step-1")
    same_process = push(sender(connect, smtp), "reply", REPLY, key="run-7:step-1")  # a new instance: a restart
    other_key = push(sender(connect, smtp), "reply", REPLY, key="run-7:step-2")

    assert (first.created, same_process.created, other_key.created) == (True, False, True)
    assert same_process.external_id == first.external_id != other_key.external_id
    assert len(smtp.handler.received) == 2
    assert set(dovecot.flags(mail_user, "Sent")) == {first.external_id, other_key.external_id}


def test_without_a_sent_folder_copy_the_sent_folder_is_still_searched(
    connect: Connect, smtp: SmtpServer, dovecot: Dovecot, mail_user: MailUser
) -> None:
    client = dovecot.client(mail_user)
    client.create("Sent")
    client.logout()
    first = push(sender(connect, smtp, save_sent=False), "reply", REPLY, key="k")
    dovecot.append(mail_user, [smtp.handler.received[0].data], mailbox="Sent")  # the server filed it (Gmail)

    again = push(sender(connect, smtp, save_sent=False), "reply", REPLY, key="k")

    assert (first.created, again.created, len(smtp.handler.received)) == (True, False, 1)


@pytest.mark.parametrize(("record", "error", "words"), [
    ({**REPLY, "to": []}, RecordError, "no recipient"),
    ({**REPLY, "to": "not-an-address"}, RecordError, "not an e-mail address"),
    ({**REPLY, "template": "notice"}, RecordError, "'title' is undefined"),
    ({**REPLY, "template": "invoice"}, ConfigError, "templates in zh: notice, ticket_reply"),
    ({**REPLY, "language": "fr"}, RecordError, "language"),
], ids=["no-recipient", "bad-address", "missing-variable", "unknown-template", "language"])
def test_a_mail_that_cannot_be_built_is_refused_with_why(
    connect: Connect, smtp: SmtpServer, record: dict[str, Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        push(sender(connect, smtp), "reply", record)
    assert smtp.handler.received == []


def test_own_templates_override_the_shipped_ones(connect: Connect, smtp: SmtpServer, tmp_path: Path) -> None:
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "ticket_reply.subject.j2").write_text("【华东机械】{{ subject }}", encoding="utf-8")
    (tmp_path / "zh" / "ticket_reply.txt.j2").write_text("{{ body }}\n-- 本公司客服", encoding="utf-8")

    push(sender(connect, smtp, templates_dir=str(tmp_path)), "reply", REPLY)

    message = received(smtp)
    assert message["Subject"] == "【华东机械】A-100 机床开机报警 [#T-1024]"
    assert message.get_body(("html",)) is not None  # the HTML part falls back to the shipped template
