"""Mail templates (Jinja2), Chinese and English: a subject, a text body and optionally an HTML body.

A template ``ticket_reply`` in language ``zh`` is three files in a language folder::

    zh/ticket_reply.subject.j2     one line
    zh/ticket_reply.txt.j2         the text/plain part
    zh/ticket_reply.html.j2        optional: the text/html alternative (autoescaped)

Folders searched, first match wins: ``templates_dir`` from the settings (your own or
overridden templates), then the shipped ``mappings/mail/templates/``. A variable the
template uses but the push does not give is an error naming it, never an empty gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    select_autoescape,
)

from hub.errors import ConfigError, RecordError
from hub.mapping.registry import shipped_mappings_dir


def shipped_templates_dir() -> Path:
    return shipped_mappings_dir() / "mail" / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


class TemplateSet:
    def __init__(self, own_dir: str | None = None) -> None:
        folders = [str(Path(own_dir).expanduser())] if own_dir else []
        folders.append(str(shipped_templates_dir()))
        self.env = Environment(
            loader=FileSystemLoader(folders),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def names(self, language: str) -> list[str]:
        return sorted({n.split("/", 1)[1].split(".", 1)[0] for n in self.env.list_templates()
                       if n.startswith(f"{language}/") and n.endswith(".subject.j2")})

    def render(self, name: str, language: str, context: dict[str, Any]) -> Rendered:
        base = f"{language}/{name}"
        try:
            subject = self.env.get_template(f"{base}.subject.j2").render(context)
            text = self.env.get_template(f"{base}.txt.j2").render(context)
        except TemplateNotFound as exc:
            known = ", ".join(self.names(language)) or "none"
            raise ConfigError(f"no mail template {name!r} in language {language!r} (missing {exc.name}); "
                              f"templates in {language}: {known}") from None
        except TemplateSyntaxError as exc:
            raise ConfigError(f"mail template {exc.name or base}, line {exc.lineno}: {exc.message}") from None
        except UndefinedError as exc:
            raise RecordError(f"mail template {base}: {exc.message}; give it in the push's variables") from None
        html: str | None = None
        try:
            html = self.env.get_template(f"{base}.html.j2").render(context)
        except TemplateNotFound:
            html = None
        except UndefinedError as exc:
            raise RecordError(f"mail template {base}.html: {exc.message}; give it in the push's variables") from None
        return Rendered(" ".join(subject.split()), text.strip() + "\n", html)
