"""docs/connectors/kingdee.md never teaches a broken hub.yaml, and names every code of the error table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from connectors.erp.kingdee import KingdeeSettings
from connectors.erp.kingdee.errors import KINGDEE_ERRORS
from connectors.erp.kingdee.simulator import Account, Knobs
from hub.mapping.registry import load_registry, shipped_mappings_dir

DOC = (Path(__file__).resolve().parents[3] / "docs" / "connectors" / "kingdee.md").read_text(encoding="utf-8")
EXAMPLES = [b for b in re.findall(r"```yaml\n(.*?)```", DOC, re.S) if "type: kingdee" in b]


@pytest.mark.parametrize("block", EXAMPLES, ids=["session", "signature"])
def test_each_hub_yaml_example_gives_valid_settings_and_shipped_mappings(block: str) -> None:
    config = yaml.safe_load(re.sub(r"\$\{\w+\}", "from-the-environment", block))
    connector = config["connectors"]["kingdee-main"]
    registry = load_registry(None, shipped_dir=shipped_mappings_dir(), partial=True)

    settings = KingdeeSettings.model_validate(connector["settings"])

    assert settings.base_url.endswith("/k3cloud/")
    for entity, sync in connector["entities"].items():
        assert registry.get(sync["mapping"]).mapping.entity == entity


def test_every_code_in_the_error_table_is_documented() -> None:
    codes = {str(code) for rule in KINGDEE_ERRORS.rules for code in rule.codes}

    assert codes == {"4002", "4006", "5001"}
    assert [code for code in sorted(codes) if f"errcode {code}" not in DOC] == []


def test_every_simulator_knob_and_the_test_account_are_documented() -> None:
    assert [k for k in Knobs.__dataclass_fields__ if f"`{k}`" not in DOC and k != "signature_tolerance_seconds"] == []
    assert Account().password in DOC
