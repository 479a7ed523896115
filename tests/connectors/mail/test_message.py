"""Parsing a message: ids and threading headers, attachments and their names, priority, noise, and what is malformed."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from connectors.mail.message import MalformedMessage, clean_subject, parse_mail
from connectors.mail.noise import noise_reason
from tests.connectors.mail.conftest import fixture


def test_attachments_keep_their_names_from_rfc2231_rfc2047_and_plain_parameters() -> None:
    mail = parse_mail(fixture("attachments.eml"))

    assert [(a.name, a.content_type, len(a.data)) for a in mail.attachments] == [
        ("报价单.pdf", "application/pdf", 83), ("现场照片.png", "image/png", 67),
        ("machine.log", "application/octet-stream", 65536),
    ]
    assert mail.attachments[0].data.startswith(b"%PDF-1.4")
    assert mail.text.strip() == "请查收附件中的报价单、现场照片和设备日志。"


def test_multipart_alternative_prefers_the_plain_text_the_sender_wrote() -> None:
    mail = parse_mail(fixture("thread_1.eml"))

    assert mail.text.startswith("你好，\n\n我们的 A-100 机床今天早上开机报 E101 错误")
    assert (mail.html_only, mail.attachments) == (False, [])


def test_replies_name_their_parents_nearest_first() -> None:
    mail = parse_mail(fixture("thread_3.eml"))

    assert mail.message_id == "<thread-reply-003@huadong-jixie.cn>"
    assert mail.parents == ["<thread-reply-002@huadong-jixie.cn>", "<thread-root-001@huadong-jixie.cn>"]


def test_a_message_without_message_id_gets_one_derived_from_its_bytes() -> None:
    raw = b"From: a@b.cn\r\nSubject: x\r\n\r\nbody\r\n"

    first, again = parse_mail(raw), parse_mail(raw)

    assert first.synthetic_id
    assert first.message_id == again.message_id == f"<{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id.invalid>"


def test_a_missing_or_broken_date_falls_back_to_the_servers_arrival_time() -> None:
    received = datetime(2026, 3, 9, 1, 2, 3, tzinfo=UTC)

    mail = parse_mail(b"From: a@b.cn\r\nDate: someday soon\r\n\r\nx", received=received)

    assert mail.date == received


@pytest.mark.parametrize(("header", "priority"), [
    ("X-Priority: 1 (Highest)", "high"), ("X-Priority: 5", "low"), ("Importance: High", "high"),
    ("X-MSMail-Priority: Low", "low"), ("Priority: urgent", "high"), ("X-Priority: 3", "normal"),
])
def test_priority_comes_from_the_clients_priority_headers(header: str, priority: str) -> None:
    assert parse_mail(f"From: a@b.cn\r\n{header}\r\n\r\nx".encode()).priority == priority


@pytest.mark.parametrize(("subject", "clean"), [
    ("Re: 报价", "报价"), ("回复：报价", "报价"), ("答复: Re: 回复：报价", "报价"), ("Fwd: 报价", "报价"),
    ("转发：报价", "报价"), ("RE[2]: quote", "quote"), ("Report on 回复", "Report on 回复"),
])
def test_reply_prefixes_are_removed_from_ticket_subjects(subject: str, clean: str) -> None:
    assert clean_subject(subject) == clean


@pytest.mark.parametrize(("name", "reason"), [
    ("malformed_multipart.eml", "broken MIME structure"),
    ("malformed_no_sender.eml", "no sender address"),
])
def test_malformed_messages_raise_with_the_reason(name: str, reason: str) -> None:
    with pytest.raises(MalformedMessage, match=reason):
        parse_mail(fixture(name))


def test_headers_only_parsing_keeps_ids_and_sender_without_the_body() -> None:
    raw = fixture("attachments.eml")
    head = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"

    mail = parse_mail(head, headers_only=True)

    assert (mail.message_id, mail.sender.email, mail.text, mail.attachments) == (
        "<attachments-007@huadong-jixie.cn>", "zhang.wei@huadong-jixie.cn", "", [])


NOISE = [
    ("auto_reply.eml", "automatic mail (Auto-Submitted: auto-replied)"),
    ("bounce.eml", "delivery or read report (multipart/report; report-type=delivery-status)"),
    ("bulk.eml", "bulk mail (Precedence: bulk)"),
]


@pytest.mark.parametrize(("name", "reason"), NOISE, ids=[n for n, _ in NOISE])
def test_auto_replies_bounces_and_bulk_mail_are_noise(name: str, reason: str) -> None:
    assert noise_reason(parse_mail(fixture(name))) == reason


@pytest.mark.parametrize(("headers", "reason"), [
    ("From: MAILER-DAEMON@mx.cn", "bounce (from mailer-daemon)"),
    ("From: postmaster@mx.cn", "bounce (from postmaster)"),
    ("From: a@b.cn\r\nX-Autoreply: yes", "auto-reply (x-autoreply)"),
    ("From: a@b.cn\r\nX-Autorespond: 1", "auto-reply (x-autorespond)"),
    ("From: a@b.cn\r\nPrecedence: junk", "bulk mail (Precedence: junk)"),
    ("From: a@b.cn\r\nPrecedence: list", "bulk mail (Precedence: list)"),
    ("From: a@b.cn\r\nAuto-Submitted: auto-generated", "automatic mail (Auto-Submitted: auto-generated)"),
    ("From: support@hub-test.cn", "sent by this mailbox itself"),
    ("From: a@b.cn\r\nAuto-Submitted: no", None),
    ("From: a@b.cn\r\nPrecedence: first-class", None),
    ("From: daemon-fan@b.cn", None),
])
def test_noise_rules(headers: str, reason: str | None) -> None:
    mail = parse_mail(f"{headers}\r\nSubject: x\r\n\r\nbody".encode())

    assert noise_reason(mail, frozenset({"support@hub-test.cn"})) == reason


@pytest.mark.parametrize("name", ["utf8_qp.eml", "gb2312_declared_gbk.eml", "gbk_8bit.eml", "gb18030_4byte.eml",
                                  "big5.eml", "html_only.eml", "attachments.eml", "thread_1.eml", "thread_2.eml",
                                  "thread_3.eml", "thread_4.eml"])
def test_customer_mail_is_not_noise(name: str) -> None:
    assert noise_reason(parse_mail(fixture(name)), frozenset({"support@hub-test.cn"})) is None
