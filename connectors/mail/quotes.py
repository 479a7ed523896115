"""The new part of a reply: the quoted earlier mail trimmed away. Pure functions.

The text is cut at the first line that starts a quoted message, as Chinese and English
clients write it::

    在 2026年3月2日 10:15，张伟 <zhang.wei@example.cn> 写道：        Apple Mail, Gmail (zh), QQ Mail
    于 2026-03-02 10:15, 张伟 写道:                                   NetEase, Foxmail
    On Mon, Mar 2, 2026 at 10:15 AM Zhang Wei <...> wrote:          Gmail, Thunderbird (may wrap)
    -----Original Message----- / -----原始邮件----- / ---- 回复的原邮件 ----
    ------------------ Original ------------------                 QQ Mail
    From: ... (then Sent:/Date:/To:/Subject:)                       Outlook (after a ____ rule)
    发件人: ... (then 发送时间:/时间:/收件人:/主题:)                     Outlook, Foxmail in Chinese

and lines quoted with ``>`` are dropped wherever they are. When trimming would leave
nothing (a forward, or a reply written below the quote), the whole text is kept.
"""

from __future__ import annotations

import re

_WROTE = re.compile(
    r"^\s*(?:"
    r"(?:在|于).{0,160}?写道\s*[:：]?\s*$"  # 在 2026年3月2日 ... 写道：
    r"|On\b.{0,240}?\bwrote\s*:\s*$"  # On ... wrote:
    r"|.{0,160}\b(?:schrieb|a écrit|escribió)\s*:\s*$"
    r")",
    re.IGNORECASE,
)
_WROTE_START = re.compile(r"^\s*(?:On\b.*\d|在.*\d|于.*\d)", re.IGNORECASE)  # the first of a wrapped two-liner
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Original|Forwarded message|原始邮件|原邮件|回复的原邮件|Replied Message|"
    r"转发邮件|邮件原文)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*(?:_{10,}|-{10,}|={10,})\s*$")  # cuts only when a From: block follows
_HEADER = re.compile(
    r"^\s*\*?(From|发件人|寄件者|Sent|Date|发送时间|时间|日期|To|收件人|Cc|抄送|Subject|主题)"
    r"\*?\s*[:：]", re.IGNORECASE)
_FROM = re.compile(r"^\s*\*?(From|发件人|寄件者)\*?\s*[:：]", re.IGNORECASE)


def trim_quoted(text: str) -> str:
    """The reply's own text, without the quoted message under it and without ``>`` lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _cut_line(lines)
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    result = _strip_blank_edges(kept)
    if not "\n".join(result).strip():
        return text.strip()
    return "\n".join(result)


def _cut_line(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if _WROTE.match(line) or _SEPARATOR.match(line):
            return i
        if i + 1 < len(lines) and _WROTE_START.match(line) and _WROTE.match(line + " " + lines[i + 1].strip()):
            return i
        if _FROM.match(line) and _is_header_block(lines, i):
            return i
        if _RULE.match(line):
            following = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), None)
            if following is not None and _FROM.match(lines[following]) and _is_header_block(lines, following):
                return i
    return len(lines)


def _is_header_block(lines: list[str], start: int) -> bool:
    """``From:`` followed by at least two more header lines (Sent/To/Subject...) within a few lines."""
    following = [line for line in lines[start + 1 : start + 6] if line.strip()]
    return sum(1 for line in following[:4] if _HEADER.match(line)) >= 2


def _strip_blank_edges(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return [line.rstrip() for line in lines[start:end]]
