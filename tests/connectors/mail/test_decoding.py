"""Every fixture mail decodes to the words its sender wrote, whatever charset and encoding it came in."""

from __future__ import annotations

import base64

import pytest

from connectors.mail.charsets import codec_for, decode_bytes, decode_header_value
from connectors.mail.message import parse_mail
from tests.connectors.mail.conftest import fixture

CASES = [
    # fixture, subject, sender name, sender address, words in the text
    ("utf8_qp.eml", "A-100 数控机床报价咨询", "张伟", "zhang.wei@huadong-jixie.cn", "采购 A-100 型数控机床 5 台"),
    ("gb2312_declared_gbk.eml", "配件未到货（李喆）", "李喆", "lizhe_88@qq.com", "联系人：朱镕基"),
    ("gbk_8bit.eml", "发票开具申请", "王芳", "wang.fang@xinda-trade.com", "增值税专用发票"),
    ("gb18030_4byte.eml", "𠮷野家门店的订单问题", "陈静", "chen.jing@yoshinoya-sh.cn", "𠮷野家（上海）门店"),
    ("big5.eml", "產品保固詢問", "林志明", "lin.zm@tw-precision.com.tw", "請問貴公司的產品保固期是多久"),
    ("html_only.eml", "型号 B-200 报警", "Zhao Lei", "zhao.lei@dongfang-heavy.cn", "- E101 主轴过热"),
    ("thread_3.eml", "答复: 回复：A-100 机床开机报警", "李娜", "li.na@huadong-jixie.cn", "我是设备科的李娜"),
]


@pytest.mark.parametrize(("name", "subject", "sender", "address", "words"), CASES, ids=[c[0] for c in CASES])
def test_each_charset_fixture_decodes_subject_sender_and_text(
    name: str, subject: str, sender: str, address: str, words: str
) -> None:
    mail = parse_mail(fixture(name))

    assert (mail.subject, mail.sender.name, mail.sender.email) == (subject, sender, address)
    assert words in mail.text
    assert "\ufffd" not in mail.text + mail.subject


def test_the_gb2312_fixture_really_holds_characters_gb2312_cannot_decode() -> None:
    body = "联系人：朱镕基".encode("gbk")

    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")
    assert decode_bytes(body, "gb2312") == "联系人：朱镕基"


@pytest.mark.parametrize(("label", "codec"), [
    ("gb2312", "gb18030"), ("GBK", "gb18030"), ("x-gbk", "gb18030"), ("cp936", "gb18030"), ("GB18030", "gb18030"),
    ("big5", "big5hkscs"), ("Big5-HKSCS", "big5hkscs"), ("utf8", "utf-8"), ("iso-8859-1", "cp1252"),
    ("ks_c_5601-1987", "cp949"), ('"UTF-8"', "utf-8"), ("no-such-charset", None), (None, None),
])
def test_charset_labels_map_to_the_codec_real_mail_needs(label: str | None, codec: str | None) -> None:
    assert codec_for(label) == codec


@pytest.mark.parametrize(("data", "declared", "text"), [
    ("你好".encode(), "us-ascii", "你好"),  # 8-bit text labelled us-ascii: guessed
    ("你好".encode("gbk"), "utf-8", "你好"),  # labelled UTF-8 but GBK
    ("你好".encode(), None, "你好"),
    ("你好".encode("gb18030"), None, "你好"),
    ("產品".encode("big5"), "big5", "產品"),
    ("café".encode("cp1252"), "iso-8859-1", "café"),
], ids=["ascii-label-utf8", "utf8-label-gbk", "no-label-utf8", "no-label-gbk", "big5", "latin1"])
def test_bodies_decode_even_when_the_label_lies(data: bytes, declared: str | None, text: str) -> None:
    assert decode_bytes(data, declared) == text


def _b(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


@pytest.mark.parametrize(("raw", "text"), [
    (_b("报价", "utf-8") + " " + _b("咨询", "utf-8"), "报价咨询"),  # whitespace between words is not text
    ("Re: " + _b("报价", "gb2312") + " now", "Re: 报价 now"),
    ("=?utf-8?Q?=E6=8A=A5=E4=BB=B7_A-100?=", "报价 A-100"),
    ("=?utf-8?B?5oql5Lu3?", "=?utf-8?B?5oql5Lu3?"),  # not a complete word: kept
    ("=?UTF-8?B?5oql5Lu3?=", "报价"),
    ("=?utf-8?B?5oql5Lu3IQ?=", "报价!"),  # "==" dropped by the sender
    ("Plain\r\n folded", "Plain folded"),
], ids=["adjacent-words", "gb2312-mixed", "q-encoding", "incomplete", "upper-charset", "lost-padding", "folded"])
def test_rfc2047_header_words(raw: str, text: str) -> None:
    assert decode_header_value(raw) == text


def test_a_character_split_across_two_encoded_words_is_joined_before_decoding() -> None:
    data = "𠮷野家".encode("gb18030")
    raw = f"=?gb18030?B?{base64.b64encode(data[:2]).decode()}?=\r\n =?gb18030?B?{base64.b64encode(data[2:]).decode()}?="

    assert decode_header_value(raw) == "𠮷野家"


def test_raw_8bit_header_bytes_are_guessed_as_gbk_or_utf8() -> None:
    gbk = "发票".encode("gbk").decode("ascii", "surrogateescape")
    utf8 = "发票".encode().decode("ascii", "surrogateescape")

    assert (decode_header_value(gbk), decode_header_value(utf8)) == ("发票", "发票")


def test_quoted_printable_and_base64_bodies_decode_to_the_same_text() -> None:
    qp = parse_mail(fixture("utf8_qp.eml"))
    b64 = parse_mail(fixture("gb2312_declared_gbk.eml"))

    assert "请提供报价和交货期" in qp.text
    assert "请帮忙查一下物流" in b64.text
    assert "\r" not in qp.text + b64.text
