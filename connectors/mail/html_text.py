"""HTML-only mail to readable plain text, with the standard library's ``html.parser``.

Blocks become lines, ``<br>`` a line break, list items ``- item``, table cells are
separated by `` | ``, links keep their address (``text (https://...)``), ``<blockquote>``
lines get a ``> `` prefix (so quoted replies can be trimmed like plain-text ones), and
``<script>``, ``<style>``, ``<head>`` and comments disappear. Entities are decoded.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset({
    "address", "article", "aside", "center", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul", "blockquote",
})
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript", "xml", "o:p"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr"})
_SPACES = re.compile(r"[ \t\r\n\f\u200b]+")


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.hidden = 0
        self.quote = 0
        self.pre = 0
        self.links: list[str | None] = []
        self.link_text: list[str] = []
        self.cells = 0

    # -- building lines ---------------------------------------------------------------------------

    def _text(self, text: str) -> None:
        if self.links and self.links[-1] is not None:
            self.link_text.append(text)
        self.line.append(text)

    def _break(self) -> None:
        text = "".join(self.line)
        text = text.rstrip() if self.pre else _SPACES.sub(" ", text).strip()
        prefix = "> " * self.quote
        if text or not self.lines or self.lines[-1] != prefix.rstrip():
            self.lines.append((prefix + text).rstrip())
        self.line = []
        self.cells = 0

    # -- parser callbacks -------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
            return
        if self.hidden:
            return
        if tag == "br":
            self._break()
        elif tag in ("td", "th"):
            if self.cells:
                self.line.append(" | ")
            self.cells += 1
        elif tag in _BLOCKS:
            if self.line:
                self._break()
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "li":
                self.line.append("- ")
            elif tag == "hr":
                self.lines.append("")
        elif tag == "a":
            href = dict(attrs).get("href")
            self.links.append(href if href and href.startswith(("http://", "https://")) else None)
            self.link_text = []
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self._text(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            return
        if self.hidden:
            return
        if tag == "a" and self.links:
            href = self.links.pop()
            shown = "".join(self.link_text).strip()
            if href and shown and href.rstrip("/") not in shown:
                self.line.append(f" ({href})")
            self.link_text = []
        elif tag in _BLOCKS:
            if self.line or tag in ("p", "div", "tr"):
                self._break()
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self._text(data.replace("\xa0", " "))

    def text(self) -> str:
        if self.line:
            self._break()
        return "\n".join(_collapse_blank(self.lines)).strip()


def _collapse_blank(lines: list[str]) -> list[str]:
    """At most one blank line in a row (quote markers alone count as blank)."""
    out: list[str] = []
    for line in lines:
        blank = not line.strip(" >")
        if blank and out and not out[-1].strip(" >"):
            continue
        out.append(line)
    return out


def html_to_text(html: str) -> str:
    builder = _TextBuilder()
    builder.feed(html)
    builder.close()
    return builder.text()
