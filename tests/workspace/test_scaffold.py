"""hub init's scaffolding: a workspace that loads as written, and whose examples load when uncommented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.errors import ConflictError
from hub.store.rules import EntityRules
from hub.workspace import load_workspace, scaffold_workspace

EXAMPLE_ENV = {"KD_PASSWORD": "x", "SHOP_WEBHOOK_SECRET": "y", "MES_TOKEN": "z"}


def test_scaffold_writes_the_workspace_files(tmp_path: Path) -> None:
    root = tmp_path / "myhub"

    result = scaffold_workspace(root)

    assert result.written == ["hub.yaml", "mappings/README.md", "flows/README.md", ".env.example", ".gitignore"]
    for name in result.written:
        assert (root / name).is_file()


def test_scaffolded_workspace_loads_cleanly(tmp_path: Path) -> None:
    scaffold_workspace(tmp_path)

    workspace = load_workspace(tmp_path, env={})

    assert workspace.config.connectors == {}
    assert workspace.store_rules.for_entity("customer") == EntityRules(
        match=("tax_id", "phone", "email"),
        survivorship={"name": ("kingdee", "yonyou"), "tax_id": ("kingdee", "yonyou"), "phones": ("wecom", "dingtalk")},
        union=frozenset({"phones", "emails", "tags"}),
    )


def test_scaffolded_hub_yaml_has_every_section(tmp_path: Path) -> None:
    scaffold_workspace(tmp_path)

    text = (tmp_path / "hub.yaml").read_text(encoding="utf-8")

    for section in ("connectors:", "sources:", "subscriptions:", "webhooks:", "identity:"):
        assert re.search(rf"^{section}", text, re.MULTILINE), section


def test_commented_examples_load_when_uncommented(tmp_path: Path) -> None:
    """The template's convention: '##' explains, '# ' marks an example replacing the '{}' line above it."""
    scaffold_workspace(tmp_path)
    template = (tmp_path / "hub.yaml").read_text(encoding="utf-8").splitlines()
    lines = [line for line in template if not re.fullmatch(r"(connectors|sources|subscriptions): \{\}", line)]
    uncommented = "\n".join(line[2:] if line.startswith("# ") else line for line in lines) + "\n"
    (tmp_path / "hub.yaml").write_text(uncommented, encoding="utf-8")

    config = load_workspace(tmp_path, env=EXAMPLE_ENV).config

    assert config.connectors["kingdee-main"].settings["password"] == "x"
    assert config.connectors["kingdee-main"].settings["base_url"].startswith("http://127.0.0.1")
    assert set(config.connectors["kingdee-main"].entities) == {"customer", "order"}
    assert config.sources["shop"].verify.scheme == "standard-webhooks"
    assert config.subscriptions["mes"].headers == {"Authorization": "Bearer z"}


def test_gitignore_keeps_the_database_and_env_out_of_git(tmp_path: Path) -> None:
    scaffold_workspace(tmp_path)

    ignored = (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()

    assert {"hub.db", "hub.db-wal", "hub.db-shm", ".env"} <= set(ignored)


def test_env_example_lists_the_settings_and_the_referenced_secrets(tmp_path: Path) -> None:
    scaffold_workspace(tmp_path)

    text = (tmp_path / ".env.example").read_text(encoding="utf-8")

    for name in ("HUB_SECRET_KEY", "HUB_DATABASE_URL", "HUB_WEBHOOK_ALLOW_NETWORKS", "KD_PASSWORD"):
        assert name in text


def test_existing_hub_yaml_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "hub.yaml").write_text("connectors: {}  # mine\n", encoding="utf-8")

    with pytest.raises(ConflictError, match="already exists; use --force"):
        scaffold_workspace(tmp_path)

    assert (tmp_path / "hub.yaml").read_text(encoding="utf-8") == "connectors: {}  # mine\n"
    assert not (tmp_path / "mappings").exists()


def test_force_replaces_hub_yaml_but_keeps_other_files(tmp_path: Path) -> None:
    (tmp_path / "hub.yaml").write_text("connectors: {}  # mine\n", encoding="utf-8")
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "README.md").write_text("my notes\n", encoding="utf-8")

    result = scaffold_workspace(tmp_path, force=True)

    assert result.replaced == ["hub.yaml"]
    assert "mappings/README.md" in result.kept
    assert "identity:" in (tmp_path / "hub.yaml").read_text(encoding="utf-8")
    assert (tmp_path / "mappings" / "README.md").read_text(encoding="utf-8") == "my notes\n"


def test_existing_gitignore_gets_only_the_missing_lines(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n.env\n", encoding="utf-8")

    result = scaffold_workspace(tmp_path)

    lines = (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert result.extended == [".gitignore"]
    assert lines[:2] == ["node_modules/", ".env"]
    assert lines.count(".env") == 1
    assert "hub.db" in lines


def test_scaffold_into_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("", encoding="utf-8")

    with pytest.raises(Exception, match="is not a folder"):
        scaffold_workspace(tmp_path / "f")
