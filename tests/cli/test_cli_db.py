"""hub db upgrade / status."""

from __future__ import annotations

import pytest

from hub.db.engine import create_db_engine
from hub.db.migrate import head_revision, schema_status
from tests.cli.hub_cli_harness import Hub


def test_upgrade_creates_the_schema(hub: Hub) -> None:
    result = hub("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"database at revision {head_revision()} (was empty)\n"
    engine = create_db_engine(hub.database_url)
    try:
        assert schema_status(engine).ready
    finally:
        engine.dispose()


def test_upgrade_twice_is_idempotent(hub: Hub) -> None:
    hub("db", "upgrade")

    result = hub("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"already at head ({head_revision()})\n"


def test_upgrade_sql_prints_the_sql_without_touching_the_database(hub: Hub) -> None:
    result = hub("db", "upgrade", "--sql")

    assert result.exit_code == 0, result.output
    assert "CREATE TABLE api_keys" in result.stdout
    assert "CREATE TABLE alembic_version" in result.stdout
    assert not (hub.workspace.parent / "hub.db").exists()


def test_default_database_lives_in_the_workspace(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_DATABASE_URL")

    result = hub("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert (hub.workspace / "hub.db").is_file()


def test_default_database_in_a_missing_workspace_is_a_clear_error(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUB_DATABASE_URL")
    monkeypatch.setenv("HUB_WORKSPACE", str(hub.workspace / "nope"))

    result = hub("db", "upgrade")

    assert result.exit_code == 2
    assert "workspace folder" in result.stderr
    assert "does not exist" in result.stderr
    assert "  hint: create it with `hub init" in result.stderr


def test_unsupported_database_url_is_a_config_error(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_DATABASE_URL", "mysql://x@localhost/hub")

    result = hub("db", "upgrade")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: HUB_DATABASE_URL uses 'mysql'")


def test_status_before_upgrade_says_an_upgrade_is_needed(hub: Hub) -> None:
    result = hub("db", "status")

    assert result.exit_code == 1
    assert "current   (empty)" in result.stdout
    assert f"head      {head_revision()}" in result.stdout
    assert "run `hub db upgrade`" in result.stdout


def test_status_after_upgrade_is_up_to_date(migrated: Hub) -> None:
    result = migrated("db", "status")

    assert result.exit_code == 0, result.output
    assert f"current   {head_revision()}" in result.stdout
    assert result.stdout.endswith("up to date\n")


def test_invalid_setting_names_the_variable(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_WEBHOOK_ALLOW_NETWORKS", "not-a-cidr")

    result = hub("db", "status")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: invalid setting: HUB_WEBHOOK_ALLOW_NETWORKS: 'not-a-cidr' is not a CIDR")
