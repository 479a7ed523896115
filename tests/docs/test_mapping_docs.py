"""Every complete mapping shown in docs/mappings.md loads, so the docs never teach a broken file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.mapping import load_mapping

DOC = Path(__file__).resolve().parents[2] / "docs" / "mappings.md"
BLOCKS = [b for b in re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S) if "version: 1" in b]


def test_the_docs_show_complete_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("block", BLOCKS, ids=[re.search(r"name: (\S+)", b).group(1) for b in BLOCKS])  # type: ignore[union-attr]
def test_documented_mapping_loads(block: str) -> None:
    mapping = load_mapping(block, source_name="docs/mappings.md")

    assert mapping.name
