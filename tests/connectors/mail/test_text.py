"""HTML-only mail becomes readable text; quoted replies are trimmed the way Chinese and English clients write them."""

from __future__ import annotations

import pytest

from connectors.mail.html_text import html_to_text
from connectors.mail.message import parse_mail
from connectors.mail.quotes import trim_quoted
from tests.connectors.mail.conftest import fixture


def test_the_html_only_fixture_reads_as_lines_lists_tables_and_links() -> None:
    text = parse_mail(fixture("html_only.eml")).text

    assert text.splitlines() == [
        "您好，", "我们的设备 B-200 出现以下报警：", "", "- E101 主轴过热", "- E205 润滑不足", "",
        "序列号 | 安装日期", "SN-88001 | 2025-06-01", "", "操作手册见 在线手册 (https://docs.example.cn/b200)。请尽快安排工程师&备件。",
        "", "赵磊", "东方重工",
    ]


@pytest.mark.parametrize(("html", "text"), [
    ("<p>a&nbsp;&amp;&lt;b&gt;</p>", "a &<b>"),
    ("<head><title>t</title><style>p{}</style></head><p>x</p><script>y()</script>", "x"),
    ("line<br>next<br/>last", "line\nnext\nlast"),
    ("<a href='https://x.cn/a'>https://x.cn/a</a>", "https://x.cn/a"),  # a link showing its address: once
    ("<a href='mailto:a@b.cn'>write</a>", "write"),
    ("<div>reply</div><blockquote>old<br>older</blockquote>", "reply\n> old\n> older"),
    ("<pre>  keep   spaces\n  here</pre>", "keep   spaces\n  here"),
    ("<!-- hidden --><p>shown</p>", "shown"),
], ids=["entities", "hidden", "breaks", "same-link", "mailto", "blockquote", "pre", "comment"])
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


ZH_GMAIL = "好的，收到。\n\n在 2026年3月2日 10:15，张伟 <zhang.wei@huadong-jixie.cn> 写道：\n> 请报价\n"
ZH_NETEASE = "明天发货。\n\n于 2026-03-02 10:15:00，\"张伟\" <zhang.wei@huadong-jixie.cn> 写道:\n原文"
EN_GMAIL_WRAPPED = "Thanks!\n\nOn Mon, Mar 2, 2026 at 10:15 AM Zhang Wei\n<zhang.wei@huadong-jixie.cn> wrote:\n> hi"
OUTLOOK_ZH = ("收到\n\n________________________________\n发件人: 张伟 <z@huadong-jixie.cn>\n"
              "发送时间: 2026年3月2日 10:15\n收件人: support\n主题: 报价\n\n正文")
OUTLOOK_EN = ("Noted.\n\nFrom: Zhang Wei <z@x.cn>\nSent: Monday, March 2, 2026 10:15 AM\nTo: support\n"
              "Subject: quote\n\nold")
ORIGINAL = "OK\n\n-----Original Message-----\nFrom: a\nold"
QQ_MAIL = "已处理\n\n------------------ 原始邮件 ------------------\n发件人: \"张伟\"<z@qq.com>;\n发送时间: ...\n"
ORIGINAL_ZH = "好\n-----原始邮件-----\n旧的"
INTERLEAVED = "see below\n> question one\nanswer one\n> question two\nanswer two"


@pytest.mark.parametrize(("text", "kept"), [
    (ZH_GMAIL, "好的，收到。"),
    (ZH_NETEASE, "明天发货。"),
    (EN_GMAIL_WRAPPED, "Thanks!"),
    (OUTLOOK_ZH, "收到"),
    (OUTLOOK_EN, "Noted."),
    (ORIGINAL, "OK"),
    (QQ_MAIL, "已处理"),
    (ORIGINAL_ZH, "好"),
    (INTERLEAVED, "see below\nanswer one\nanswer two"),
], ids=["zh-gmail", "zh-netease", "en-gmail-wrapped", "outlook-zh", "outlook-en", "original-message", "qq-mail",
        "original-zh", "interleaved"])
def test_quoted_replies_are_trimmed(text: str, kept: str) -> None:
    assert trim_quoted(text) == kept


@pytest.mark.parametrize("text", [
    "Please see the table:\n----------\nA-100 | 5\n",  # a rule that is not followed by a From: block
    "From: the factory floor, we see E101 again.\nIt stops after an hour.",  # "From:" in a sentence
    "我们在 2026年3月 会再次订购。",  # 在 ... without 写道
], ids=["rule", "from-in-text", "zai-without-xiedao"])
def test_text_that_only_looks_like_a_quote_header_is_kept(text: str) -> None:
    assert trim_quoted(text) == text.strip()


def test_a_reply_that_is_all_quote_keeps_everything_rather_than_nothing() -> None:
    text = "> only the quoted question\n> and more"

    assert trim_quoted(text) == text
