"""What a flow names outside itself (connectors, actions, mappings, event types, subscriptions), checked with lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.flows.checks import check_flows, reference_problems, validate_flows
from hub.flows.registry import load_flows
from hub.mapping.registry import load_registry
from hub.workspace.loader import load_workspace
from tests.flows.helpers import write_flow

HUB_YAML = """
connectors:
  kingdee-main:
    type: kingdee
  wecom-main:
    type: wecom
subscriptions:
  project-system:
    url: https://example.com/hook
    events: [project.created]
"""

GOOD_FLOW = """
    name: order-to-production
    trigger: {event: order.confirmed}
    steps:
      - id: produce
        kind: push
        connector: kingdee-main
        action: PRD_MO
        mapping: kingdee-production-order
        record: {number: =record.number}
        store: {entity: production_order}
      - id: tell
        kind: notify
        connector: wecom-main
        action: message
        to: zhangsan
        message: {content: ='order ' + record.number}
      - id: announce
        kind: webhook
        subscription: project-system
        event: order.in_production
        data: {order: =record.id}
"""

BAD_FLOW = """
    name: order-to-production
    trigger: {event: order.confirmd}
    steps:
      - id: produce
        kind: push
        connector: kingde-main
        action: PRD_MO
        record: {number: =record.number}
      - id: tell
        kind: notify
        connector: wecom-main
        action: mesage
      - id: wrong-entity
        kind: push
        connector: kingdee-main
        action: PRD_MO
        mapping: kingdee-production-order
        record: {}
        store:
          entity: order
      - id: no-such-mapping
        kind: push
        connector: kingdee-main
        action: PRD_MO
        mapping: kingdee-prod-order
        record: {}
      - id: other-system
        kind: push
        connector: kingdee-main
        action: BD_Customer
        mapping: wecom-customer
        record: {}
      - id: hook
        kind: webhook
        subscription: mes
        event: order.in_production
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "hub.yaml").write_text(HUB_YAML, encoding="utf-8")
    return tmp_path


def test_a_flow_naming_what_the_workspace_has_has_no_problems(workspace: Path) -> None:
    write_flow(workspace, "order-to-production", GOOD_FLOW)

    checked = check_flows(workspace)

    assert list(checked.registry.flows) == ["order-to-production"]
    assert (checked.problems, checked.warnings) == ([], [])


def test_every_unknown_reference_is_reported_with_the_line_of_its_key(workspace: Path) -> None:
    write_flow(workspace, "order-to-production", BAD_FLOW)

    registry, problems = validate_flows(workspace)

    lines = [str(p) for p in problems]
    file = "flows/order-to-production.yaml"
    assert lines[0].startswith(f"{file}:3: trigger.event: unknown event type 'order.confirmd' "
                               "(did you mean 'order.confirmed'?)")
    assert lines[1] == (f"{file}:7: steps[0].connector: no connector named 'kingde-main' in hub.yaml "
                        "(did you mean 'kingdee-main'?); configured: kingdee-main, wecom-main")
    assert lines[2] == (f"{file}:13: steps[1].action: connector wecom-main (type wecom) has no action 'mesage' "
                        "(did you mean 'message'?); actions: approval, message")
    assert lines[3] == (f"{file}:21: steps[2].store.entity: mapping kingdee-production-order produces "
                        "production_order records, not order; store the pushed record as production_order or use "
                        "another mapping")
    assert lines[4] == (f"{file}:26: steps[3].mapping: no mapping named 'kingdee-prod-order' "
                        "(did you mean 'kingdee-production-order'?)")
    assert lines[5] == (f"{file}:32: steps[4].mapping: mapping wecom-customer is for wecom records, but connector "
                        "kingdee-main is of type kingdee")
    assert len(problems) == 6
    assert list(registry.flows) == ["order-to-production"]  # the file itself is valid: only its references are not


def test_a_subscription_hub_yaml_does_not_declare_is_a_warning_not_an_error(workspace: Path) -> None:
    write_flow(workspace, "hook", """
        name: hook
        trigger: {event: "order.*"}
        steps:
          - id: hook
            kind: webhook
            subscription: project-sytem
            event: order.in_production
    """)

    checked = check_flows(workspace)

    assert checked.problems == []
    assert [str(w) for w in checked.warnings] == [
        "flows/hook.yaml:7: steps[0].subscription: no subscription 'project-sytem' in hub.yaml (did you mean "
        "'project-system'?); fine if it was created through the API (hub subscriptions list), else the step fails"
    ]


def test_file_errors_and_reference_errors_are_reported_together(workspace: Path) -> None:
    write_flow(workspace, "good", GOOD_FLOW.replace("wecom-main", "dingtalk-main"))
    write_flow(workspace, "broken", """
        name: broken
        trigger: {event: order.confirmed}
        steps:
          - id: first
            kind: teleport
    """)

    registry, problems = validate_flows(workspace)

    assert [(p.file, p.line, p.path) for p in problems] == [
        ("flows/broken.yaml", 6, ("steps", 0, "kind")),
        ("flows/good.yaml", 14, ("steps", 1, "connector")),
    ]
    assert str(problems[1]).endswith("no connector named 'dingtalk-main' in hub.yaml (did you mean 'kingdee-main'?); "
                                     "configured: kingdee-main, wecom-main")
    assert list(registry.flows) == ["order-to-production"]


def test_given_files_only_those_are_checked(workspace: Path) -> None:
    chosen = write_flow(workspace, "good", GOOD_FLOW)
    write_flow(workspace, "bad", BAD_FLOW.replace("order-to-production", "bad"))

    registry, problems = validate_flows(workspace, [chosen])

    assert (list(registry.flows), problems) == (["order-to-production"], [])


def test_a_broken_hub_yaml_is_reported_instead_of_the_references(workspace: Path) -> None:
    (workspace / "hub.yaml").write_text("connectors:\n  kingdee-main:\n    typo: kingdee\n", encoding="utf-8")
    write_flow(workspace, "good", GOOD_FLOW)

    _registry, problems = validate_flows(workspace)

    assert all(p.file == "hub.yaml" for p in problems)
    assert any(p.line == 3 for p in problems)
    assert "were not checked" in problems[-1].message


def test_without_a_file_the_step_line_is_used(workspace: Path) -> None:
    path = write_flow(workspace, "bad", BAD_FLOW)
    [flow] = load_flows(workspace).flows.values()
    path.unlink()

    problems = reference_problems(flow, load_workspace(workspace), load_registry(workspace, partial=True))

    assert [(p.path, p.line) for p in problems][:2] == [(("trigger", "event"), None), (("steps", 0, "connector"), 5)]


def test_without_hub_yaml_every_connector_is_missing(tmp_path: Path) -> None:
    write_flow(tmp_path, "good", GOOD_FLOW)

    _registry, problems = validate_flows(tmp_path)

    assert [p.path for p in problems] == [("steps", 0, "connector"), ("steps", 1, "connector")]
    assert problems[0].message.endswith("hub.yaml has no connectors")
