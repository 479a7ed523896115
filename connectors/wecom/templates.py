"""Message templates: Jinja2 files, one per message and language, with a block per message kind.

``mappings/wecom/templates/<name>.<lang>.j2`` (a folder set in ``message_templates`` is looked
at first, so a workspace can add or override templates)::

    {% block text %}合同 {{ number }} 已签署{% endblock %}
    {% block markdown %}### 合同已签署 ...{% endblock %}
    {% block title %}合同已签署{% endblock %}            textcard: title, description, url, btntxt
    {% block description %}{% autoescape true %}<div class="normal">{{ number }}</div>{% endautoescape %}{% endblock %}

Rendering is sandboxed and strict: a variable the data lacks is an error naming it, never an
empty gap in a message someone reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment

from hub.errors import ConfigError, RecordError

SHIPPED = Path(__file__).resolve().parents[2] / "mappings" / "wecom" / "templates"
LANGS = ("zh", "en")
BLOCKS = {"text": ("text",), "markdown": ("markdown",), "textcard": ("title", "description", "url", "btntxt")}
REQUIRED = {"text": ("text",), "markdown": ("markdown",), "textcard": ("title", "description", "url")}


class MessageTemplates:
    def __init__(self, folders: Sequence[Path] = ()) -> None:
        self.folders = [*folders, SHIPPED]
        self.env = SandboxedEnvironment(loader=FileSystemLoader([str(f) for f in self.folders]),
                                        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                                        autoescape=False)  # text and markdown; textcard descriptions escape themselves

    def names(self) -> list[str]:
        return sorted({p.name.split(".")[0] for f in self.folders if f.is_dir() for p in f.glob("*.j2")})

    def render(self, name: str, lang: str, msgtype: str, data: Mapping[str, Any]) -> dict[str, str]:
        """The message body of ``msgtype`` (``{"content": ..}`` or the textcard's fields) from template ``name``."""
        if msgtype not in BLOCKS:
            raise RecordError(f"wecom message template: msgtype {msgtype!r} has no template form; "
                              f"use one of {', '.join(BLOCKS)}")
        if lang not in LANGS:
            raise RecordError(f"wecom message template {name}: language {lang!r} is not one of {', '.join(LANGS)}")
        file = f"{name}.{lang}.j2"
        try:
            template = self.env.get_template(file)
        except TemplateNotFound:
            raise ConfigError(f"no message template {file} in {', '.join(str(f) for f in self.folders)}; "
                              f"known: {', '.join(self.names()) or 'none'}") from None
        missing = [b for b in REQUIRED[msgtype] if b not in template.blocks]
        if missing:
            raise ConfigError(f"message template {file} has no block {', '.join(missing)} for a {msgtype} message")
        try:
            context = template.new_context(dict(data))
            parts = {b: "".join(template.blocks[b](context)).strip() for b in BLOCKS[msgtype] if b in template.blocks}
        except TemplateError as exc:
            raise RecordError(f"message template {file}: {exc}", details={"template": file}) from None
        if msgtype == "textcard":
            return parts
        return {"content": parts[msgtype]}
