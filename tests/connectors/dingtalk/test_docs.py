"""docs/connectors/dingtalk.md never teaches a broken hub.yaml, and names every error code and knob."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from connectors.dingtalk import DingTalkSettings
from connectors.dingtalk.errors import NEW_ERRORS, OLD_ERRORS
from connectors.dingtalk.simulator import CONTRACT_CODE, Knobs
from hub.mapping.registry import load_registry, shipped_mappings_dir

DOC = (Path(__file__).resolve().parents[3] / "docs" / "connectors" / "dingtalk.md").read_text(encoding="utf-8")
[EXAMPLE] = [b for b in re.findall(r"```yaml\n(.*?)```", DOC, re.S) if "type: dingtalk" in b]


def test_the_hub_yaml_example_gives_valid_settings_and_a_shipped_mapping() -> None:
    config = yaml.safe_load(re.sub(r"\$\{(\w+)\}", lambda m: "k" * 43 if m[1] == "DT_AES_KEY" else "SECfrom-env",
                                   EXAMPLE))
    connector = config["connectors"]["dingtalk-main"]
    registry = load_registry(None, shipped_dir=shipped_mappings_dir(), partial=True)

    settings = DingTalkSettings.model_validate(connector["settings"])

    assert settings.process_codes == [CONTRACT_CODE]
    for entity, sync in connector["entities"].items():
        assert registry.get(sync["mapping"]).mapping.entity == entity


def test_every_setting_is_in_the_settings_table() -> None:
    assert [name for name in DingTalkSettings.model_fields if f"| `{name}` |" not in DOC] == []


def test_every_code_of_both_error_tables_is_documented() -> None:
    codes = {str(code) for table in (OLD_ERRORS, NEW_ERRORS) for rule in table.rules for code in rule.codes}

    assert [code for code in sorted(codes) if code not in DOC] == []


def test_every_simulator_knob_is_documented() -> None:
    assert [k for k in Knobs.__dataclass_fields__ if f"`{k}`" not in DOC] == []


def test_both_languages_walk_through_the_console_steps() -> None:
    chinese = DOC[DOC.index("### 中文"):DOC.index("### English")]
    english = DOC[DOC.index("### English"):DOC.index("## hub.yaml")]
    steps = {  # app, credentials, callback URL, token and aes_key, IP allow-list, robot 加签, Stream mode
        "zh": (chinese, ("创建应用", "AppSecret", "/callbacks/dingtalk/", "签名 token", "aes_key", "服务器出口IP",
                         "加签", "Stream 模式")),
        "en": (english, ("Create the app", "AppSecret", "/callbacks/dingtalk/", "token", "aes_key", "egress IPs",
                         "Sign", "Stream mode")),
    }
    missing = [f"{lang}: {word}" for lang, (text, words) in steps.items() for word in words if word not in text]

    assert missing == []
