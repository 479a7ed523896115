"""hub init: scaffold a workspace that `hub config check` accepts."""

from __future__ import annotations

import pytest

from tests.cli.hub_cli_harness import Hub


def test_init_creates_a_workspace_that_loads(hub: Hub) -> None:
    target = hub.workspace / "myhub"

    result = hub("init", str(target))

    assert result.exit_code == 0, result.output
    assert (target / "hub.yaml").is_file()
    assert (target / "mappings" / "README.md").is_file()
    assert (target / "flows" / "README.md").is_file()
    assert f"created  {target / 'hub.yaml'}" in result.stdout
    assert "hub db upgrade" in result.stdout
    checked = hub("config", "check", str(target))
    assert checked.exit_code == 0, checked.output


def test_init_refuses_to_overwrite_hub_yaml(hub: Hub) -> None:
    (hub.workspace / "hub.yaml").write_text("connectors: {}\n", encoding="utf-8")

    result = hub("init", str(hub.workspace))

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {hub.workspace / 'hub.yaml'} already exists; use --force")
    assert (hub.workspace / "hub.yaml").read_text(encoding="utf-8") == "connectors: {}\n"


def test_init_force_replaces_hub_yaml(hub: Hub) -> None:
    (hub.workspace / "hub.yaml").write_text("connectors: {}\n", encoding="utf-8")

    result = hub("init", str(hub.workspace), "--force")

    assert result.exit_code == 0, result.output
    assert f"replaced {hub.workspace / 'hub.yaml'}" in result.stdout
    assert "identity:" in (hub.workspace / "hub.yaml").read_text(encoding="utf-8")


def test_init_defaults_to_the_current_folder(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(hub.workspace)

    result = hub("init")

    assert result.exit_code == 0, result.output
    assert (hub.workspace / "hub.yaml").is_file()
    assert "cd " not in result.stdout
