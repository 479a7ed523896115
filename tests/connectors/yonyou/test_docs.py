"""docs/connectors/yonyou.md never teaches a broken hub.yaml, and names every code of the error table."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from connectors.erp.yonyou import YonyouSettings
from connectors.erp.yonyou.errors import API_ERRORS

DOC = (Path(__file__).resolve().parents[3] / "docs" / "connectors" / "yonyou.md").read_text(encoding="utf-8")


def test_the_hub_yaml_example_gives_valid_settings() -> None:
    [block] = [b for b in re.findall(r"```yaml\n(.*?)```", DOC, re.S) if "type: yonyou" in b]
    config = yaml.safe_load(block.replace("${YONYOU_APP_SECRET}", "from-the-environment"))

    settings = YonyouSettings.model_validate(config["connectors"]["yonyou-main"]["settings"])

    assert settings.app_secret.get_secret_value() == "from-the-environment"


def test_every_code_in_the_error_table_is_documented() -> None:
    codes = {str(code) for rule in API_ERRORS.rules for code in rule.codes}

    assert codes
    assert [code for code in sorted(codes) if f"`{code}`" not in DOC] == []
