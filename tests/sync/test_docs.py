"""The hub.yaml examples in docs/sync.md load: the documentation cannot drift from the checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.workspace import load_workspace

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sync.md"
EXAMPLES = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example-{i}" for i in range(len(EXAMPLES))])
def test_documented_example_loads(tmp_path: Path, example: str) -> None:
    (tmp_path / "hub.yaml").write_text(example, encoding="utf-8")
    env = dict.fromkeys(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", example), "value")

    load_workspace(tmp_path, env=env)


def test_the_sync_doc_has_examples() -> None:
    assert len(EXAMPLES) >= 3
