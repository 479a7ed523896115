"""docs/webhooks.md's inbound part cannot drift: its hub.yaml loads, its sender example verifies with the hub."""

from __future__ import annotations

import re
from pathlib import Path

from hub.workspace import load_workspace

_WHOLE = (Path(__file__).resolve().parents[3] / "docs" / "webhooks.md").read_text(encoding="utf-8")
DOC = _WHOLE[_WHOLE.index("\n## Inbound webhooks"):_WHOLE.index("\n## Workers and scale-out")]


def test_the_documented_sources_load(tmp_path: Path) -> None:
    [example] = re.findall(r"```yaml\n(.*?)```", DOC, re.DOTALL)
    (tmp_path / "hub.yaml").write_text(example, encoding="utf-8")
    env = dict.fromkeys(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", example), "value")

    sources = load_workspace(tmp_path, env=env).config.sources

    assert sorted(sources) == ["crm", "erp-addon", "gitea", "shop"]
    assert {s.verify.scheme for s in sources.values()} == {"standard-webhooks", "hmac-sha256", "api-key"}


def test_every_status_the_endpoint_answers_is_documented() -> None:
    for status in ("**202**", "**200**", "404", "413", "400", "401", "503"):
        assert f"| {status}" in DOC
