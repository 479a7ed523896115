"""Message templates: ``<name>.<lang>.md`` Jinja2 files, Chinese and English.

Shipped ones live in ``mappings/dingtalk/templates/``; a ``template_dir`` setting is searched
first, so a workspace can override or add templates. The first line is the title (a leading
``#`` is dropped): DingTalk's markdown messages need one, text messages ignore it::

    # 合同已签署：{{ contract.number }}
    **客户**：{{ customer.name }}
    **金额**：¥{{ contract.amount }}

A missing variable is an error (StrictUndefined), never a silent blank in a customer's chat.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from hub.errors import RecordError

SHIPPED = Path(__file__).resolve().parents[2] / "mappings" / "dingtalk" / "templates"
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Rendered:
    title: str
    text: str


class TemplateError(RecordError):
    """A template that is missing or does not render: this push is refused (quarantined), with why."""

    code = "template_error"


class Templates:
    def __init__(self, extra_dir: Path | None = None) -> None:
        self.folders = [str(p) for p in (extra_dir, SHIPPED) if p is not None]
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.folders), undefined=jinja2.StrictUndefined,
            autoescape=False,  # noqa: S701 - plain text and markdown for chat messages, never HTML
        )

    def render(self, name: str, data: Mapping[str, Any], lang: str = "zh") -> Rendered:
        if lang not in LANGUAGES:
            raise TemplateError(f"message template language {lang!r} is not one of {', '.join(LANGUAGES)}")
        file = f"{name}.{lang}.md"
        try:
            text = self.env.get_template(file).render(**data).strip()
        except jinja2.TemplateNotFound:
            raise TemplateError(f"no message template {file} (looked in {', '.join(self.folders)})",
                                details={"template": name, "lang": lang}) from None
        except jinja2.TemplateError as exc:
            raise TemplateError(f"message template {file}: {exc}", details={"template": name, "lang": lang}) from None
        first = text.partition("\n")[0]
        return Rendered(first.lstrip("#").strip(), text)
