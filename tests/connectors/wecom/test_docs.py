"""docs/connectors/wecom.md never teaches a broken hub.yaml, and names every code, setting and knob."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from connectors.wecom import WeComSettings
from connectors.wecom.errors import GETTOKEN_ERRORS, WECOM_ERRORS
from connectors.wecom.simulator import Knobs
from connectors.wecom.templates import MessageTemplates
from hub.mapping.registry import load_registry, shipped_mappings_dir

DOC = (Path(__file__).resolve().parents[3] / "docs" / "connectors" / "wecom.md").read_text(encoding="utf-8")
EXAMPLES = [b for b in re.findall(r"```yaml\n(.*?)```", DOC, re.S) if "type: wecom" in b]


def test_the_hub_yaml_example_gives_valid_settings_and_shipped_mappings() -> None:
    [block] = EXAMPLES
    config = yaml.safe_load(re.sub(r"\$\{\w+\}", "e" * 43, block))
    connector = config["connectors"]["wecom-main"]
    registry = load_registry(None, shipped_dir=shipped_mappings_dir(), partial=True)

    settings = WeComSettings.model_validate(connector["settings"])

    assert settings.base_url == "https://qyapi.weixin.qq.com/cgi-bin/"
    for entity, sync in connector["entities"].items():
        assert registry.get(sync["mapping"]).mapping.entity == entity


def test_every_setting_is_documented() -> None:
    assert [name for name in WeComSettings.model_fields if f"`{name}`" not in DOC] == []


def test_every_code_in_the_error_tables_is_documented() -> None:
    codes = {str(code) for table in (WECOM_ERRORS, GETTOKEN_ERRORS) for rule in table.rules for code in rule.codes}

    assert {"-1", "40001", "40014", "42001", "45009", "60020", "81013"} <= codes
    assert [code for code in sorted(codes) if f"errcode {code}" not in DOC] == []


def test_every_simulator_knob_and_shipped_template_is_documented() -> None:
    assert [k for k in Knobs.__dataclass_fields__ if f"`{k}`" not in DOC] == []
    assert [t for t in MessageTemplates().names() if f"`{t}`" not in DOC] == []
