"""docs/connectors/mail.md teaches a valid hub.yaml, documents every setting and noise rule, and the shipped
mapping and templates are the ones the connector needs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from connectors.mail import MailConnector, MailSettings
from connectors.mail.templates import TemplateSet
from hub.mapping.registry import load_registry, shipped_mappings_dir

DOC = (Path(__file__).resolve().parents[3] / "docs" / "connectors" / "mail.md").read_text(encoding="utf-8")
[EXAMPLE] = [b for b in re.findall(r"```yaml\n(.*?)```", DOC, re.S) if "type: mail" in b]


def test_the_hub_yaml_example_gives_valid_settings_and_a_shipped_mapping_for_the_stream() -> None:
    config = yaml.safe_load(re.sub(r"\$\{\w+\}", "from-the-environment", EXAMPLE))["connectors"]["mail-support"]
    registry = load_registry(None, shipped_dir=shipped_mappings_dir(), partial=True)

    settings = MailSettings.model_validate(config["settings"])
    mapping = registry.get(config["entities"]["ticket"]["mapping"]).mapping

    assert (settings.move_to, settings.effective_imap_port, settings.effective_smtp_port) == ("已处理", 993, 465)
    assert (mapping.system, mapping.entity) == ("mail", "ticket")
    assert MailConnector.streams[mapping.object].entity == "ticket"


def test_every_setting_is_documented() -> None:
    assert [name for name in MailSettings.model_fields if f"| `{name}` |" not in DOC] == []


def test_every_noise_header_is_documented() -> None:
    for header in ("multipart/report", "MAILER-DAEMON", "postmaster", "Auto-Submitted", "X-Autoreply",
                   "X-Autorespond", "Precedence: bulk"):
        assert header in DOC


def test_both_languages_ship_both_templates() -> None:
    templates = TemplateSet()

    assert templates.names("zh") == templates.names("en") == ["notice", "ticket_reply"]
