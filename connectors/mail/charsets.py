"""Bytes and header words to text, the way Chinese mail really arrives. Pure functions.

Declared charsets are hints, not facts: Outlook and Foxmail label GBK text ``gb2312``,
old clients send ``big5`` with HKSCS characters, headers arrive as raw 8-bit bytes, and
RFC 2047 words split a character across two encoded words. So:

- every GB label decodes as GB18030 (a superset of GB2312 and GBK), Big5 as Big5-HKSCS,
  Latin-1 as Windows-1252, EUC-KR as CP949; ``us-ascii`` on 8-bit text is ignored;
- a body that fails its declared charset is tried as UTF-8, then GB18030, then Big5-HKSCS,
  and only then decoded with replacement characters;
- adjacent encoded words of one charset are joined as bytes before decoding, and base64
  with lost padding is repaired.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re

_ALIASES = {
    **dict.fromkeys(("gb2312", "gb_2312", "gb_2312-80", "euc-cn", "euccn", "x-euc-cn", "csgb2312", "chinese",
                     "gbk", "x-gbk", "cp936", "ms936", "windows-936", "gb18030", "gb-18030"), "gb18030"),
    **dict.fromkeys(("big5", "big-5", "cn-big5", "x-big5", "csbig5", "big5-hkscs", "big5hkscs"), "big5hkscs"),
    **dict.fromkeys(("iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1"), "cp1252"),
    **dict.fromkeys(("us-ascii", "ascii", "ansi_x3.4-1968", "unknown-8bit", "x-unknown"), "ascii"),
    **dict.fromkeys(("ks_c_5601-1987", "ks_c_5601", "euc-kr", "korean"), "cp949"),
    **dict.fromkeys(("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji"), "cp932"),
    **dict.fromkeys(("utf8", "utf-8", "unicode-1-1-utf-8", "x-unicode20utf8"), "utf-8"),
}
_FALLBACKS = ("utf-8", "gb18030", "big5hkscs")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+?)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"\A[ \t\r\n]*\Z")
_FOLD = re.compile(r"\r?\n[ \t]")


def codec_for(label: str | None) -> str | None:
    """The Python codec to use for a charset label, or None when the label is missing or unknown."""
    if not label:
        return None
    name = label.strip().strip('"').lower().split("*", 1)[0]  # RFC 2231 language suffix: utf-8*zh-cn
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text from bytes: the declared charset when it really fits, else the charsets Chinese mail uses."""
    codec = codec_for(declared)
    if codec == "ascii":
        codec = None  # "us-ascii" on 8-bit text is a lie: guess
    if data.isascii():
        return data.decode("ascii")
    tried: list[str] = []
    for candidate in ((codec,) if codec else ()) + _FALLBACKS:
        if candidate in tried:
            continue
        tried.append(candidate)
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    return data.decode(codec or "utf-8", errors="replace")


def raw_header_text(value: str) -> str:
    """A header value as the parser left it (8-bit bytes as surrogates) to text, encoded words still encoded."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return decode_bytes(value.encode("ascii", "surrogateescape"))
    return value


def decode_header_value(value: str | None) -> str:
    """RFC 2047 header text: unfolded, words decoded, raw 8-bit bytes guessed, whitespace tidied."""
    if not value:
        return ""
    text = _FOLD.sub(" ", raw_header_text(value)).replace("\r", "").replace("\n", "")
    parts: list[str] = []
    pending: tuple[str | None, bytes] | None = None  # adjacent words of one charset are joined as bytes
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[position : match.start()]
        label, kind, payload = match.group(1), match.group(2).upper(), match.group(3)
        data = _b_decode(payload) if kind == "B" else _q_decode(payload)
        if data is None:  # not really an encoded word: keep it literally
            _flush(pending, parts)
            pending = None
            parts.append(gap + match.group(0))
            position = match.end()
            continue
        if pending is not None and _BETWEEN_WORDS.match(gap) and pending[0] == label.lower():
            pending = (pending[0], pending[1] + data)
        else:
            _flush(pending, parts)
            if not (parts and _BETWEEN_WORDS.match(gap)):
                parts.append(gap)  # whitespace between two encoded words is not text (RFC 2047 §6.2)
            pending = (label.lower(), data)
        position = match.end()
    _flush(pending, parts)
    parts.append(text[position:])
    return re.sub(r"[ \t]+", " ", "".join(parts)).strip()


def _flush(pending: tuple[str | None, bytes] | None, parts: list[str]) -> None:
    if pending is not None:
        parts.append(decode_bytes(pending[1], pending[0]))


def _b_decode(payload: str) -> bytes | None:
    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
    cleaned += "=" * (-len(cleaned) % 4)  # senders that drop the padding
    try:
        return base64.b64decode(cleaned)
    except (binascii.Error, ValueError):
        return None


def _q_decode(payload: str) -> bytes:
    return quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"), header=False)


def decode_payload(data: bytes, transfer_encoding: str | None) -> bytes:
    """A body part's bytes from its Content-Transfer-Encoding, lenient with broken base64 and QP."""
    kind = (transfer_encoding or "").strip().lower()
    if kind == "base64":
        cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
        cleaned = cleaned[: len(cleaned) - len(cleaned) % 4] if len(cleaned) % 4 == 1 else cleaned
        cleaned += b"=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return data
    if kind == "quoted-printable":
        return quopri.decodestring(data)
    return data
