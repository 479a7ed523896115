"""Every complete flow in docs/flows.md loads without a problem, and names only what a workspace can have.

A ```yaml block with steps (``kind:``) and a ``name:`` is a complete flow; a block that is only
part of one is marked with ``<!-- fragment -->`` on the line before it and is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.flows.checks import check_flows
from hub.flows.spec import parse_flow

DOC = Path(__file__).resolve().parents[2] / "docs" / "flows.md"
FRAGMENT = "<!-- fragment -->"
_KIND = re.compile(r"^\s*(?:-\s+)?kind:", re.MULTILINE)
_NAME = re.compile(r"^name:", re.MULTILINE)

# The connectors and subscriptions the examples name, as an installation would declare them.
HUB_YAML = """
connectors:
  kingdee-main: {type: kingdee}
  wecom-main: {type: wecom}
  dingtalk-main: {type: dingtalk}
  mail-support: {type: mail}
subscriptions:
  project-system: {url: "https://pm.example.cn/hooks/hub", events: []}
  mes: {url: "https://mes.example.cn/hooks/hub", events: []}
"""


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence in docs/flows.md
    text: str
    fragment: bool


def yaml_blocks(markdown: str) -> list[Block]:
    blocks: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```yaml":
            start = index
            end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
            before = next((lines[i].strip() for i in range(start - 1, -1, -1) if lines[i].strip()), "")
            blocks.append(Block(start + 1, "\n".join(lines[start + 1:end]) + "\n", before == FRAGMENT))
            index = end
        index += 1
    return blocks


def flow_blocks() -> list[Block]:
    return [b for b in yaml_blocks(DOC.read_text(encoding="utf-8"))
            if not b.fragment and _KIND.search(b.text) and _NAME.search(b.text)]


FLOWS = flow_blocks()


def test_the_doc_has_complete_flows_and_marks_every_partial_one() -> None:
    blocks = yaml_blocks(DOC.read_text(encoding="utf-8"))
    unmarked = [b.line for b in blocks if not b.fragment and _KIND.search(b.text) and not _NAME.search(b.text)]

    assert unmarked == [], f"docs/flows.md: steps without a flow around them; mark them {FRAGMENT}"
    assert len(FLOWS) >= 10  # the extraction found the examples (a broken pattern would find none)


@pytest.mark.parametrize("block", FLOWS, ids=[f"line{b.line}" for b in FLOWS])
def test_each_example_flow_loads_without_a_problem(block: Block, tmp_path: Path) -> None:
    path = tmp_path / "example.yaml"
    path.write_text(block.text, encoding="utf-8")

    flow, problems = parse_flow(path, shown=f"docs/flows.md (block at line {block.line})")

    assert [str(p) for p in problems] == []
    assert flow is not None


@pytest.mark.parametrize("block", FLOWS, ids=[f"line{b.line}" for b in FLOWS])
def test_each_example_names_real_event_types_actions_and_mappings(block: Block, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANT_CODE", "SZ01")
    (tmp_path / "hub.yaml").write_text(HUB_YAML, encoding="utf-8")
    (tmp_path / "flows").mkdir()
    path = tmp_path / "flows" / "example.yaml"
    path.write_text(block.text, encoding="utf-8")

    checked = check_flows(tmp_path)

    found = [str(p) for p in checked.problems] + [f"warning: {w}" for w in checked.warnings]
    assert found == [], f"docs/flows.md, the block at line {block.line}"
    assert len(checked.registry.flows) == 1
