"""``hub subscriptions`` and ``hub deliveries``: the secret printed once, enable/disable, replay, purge."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from hub.db.engine import create_db_engine
from hub.db.types import utcnow
from hub.events.outbox import NewEvent, append_events
from hub.security.secrets import SecretBox
from tests.cli.hub_cli_harness import Hub
from webhooks.outbound.tables import DELIVERIES


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Hub:
    for name in list(os.environ):
        if name.startswith("HUB_"):
            monkeypatch.delenv(name)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    database_url = f"sqlite:///{tmp_path / 'hub.db'}"
    monkeypatch.setenv("HUB_WORKSPACE", str(workspace))
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)
    monkeypatch.setenv("HUB_SECRET_KEY", SecretBox.generate_key())
    monkeypatch.setenv("HUB_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8")
    monkeypatch.chdir(tmp_path)
    runner = Hub(workspace, database_url, CliRunner())
    assert runner("db", "upgrade").exit_code == 0
    return runner


def test_create_prints_the_secret_once_and_list_never_shows_it(hub: Hub) -> None:
    created = hub("subscriptions", "create", "mes", "--url", "http://127.0.0.1:9/hook", "-e", "order.*",
                  "--filter", "currency=CNY", "--header", "Authorization: Bearer t0k")

    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("whsec_")
    assert "will not be shown again" in created.stderr
    listed = hub("subscriptions", "list")
    as_json = hub("subscriptions", "list", "--json")
    assert "mes" in listed.stdout
    assert "enabled" in listed.stdout
    for output in (listed.output, as_json.output):
        assert secret not in output
        assert "t0k" not in output


def test_create_refuses_an_internal_url(hub: Hub) -> None:
    result = hub("subscriptions", "create", "meta", "--url", "http://169.254.169.254/", "-e", "*")

    assert result.exit_code == 1
    assert "metadata" in result.stderr


def test_without_a_secret_key_create_says_what_to_set(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_SECRET_KEY")

    result = hub("subscriptions", "create", "mes", "--url", "http://127.0.0.1:9/hook", "-e", "*")

    assert result.exit_code == 2
    assert "HUB_SECRET_KEY is not set" in result.stderr
    assert "hint:" in result.stderr


def test_rotate_prints_a_new_secret(hub: Hub) -> None:
    first = hub("subscriptions", "create", "mes", "--url", "http://127.0.0.1:9/hook", "-e", "*").stdout.strip()

    rotated = hub("subscriptions", "rotate", "mes", "--overlap", "2h")

    assert rotated.exit_code == 0, rotated.output
    assert rotated.stdout.strip().startswith("whsec_")
    assert rotated.stdout.strip() != first
    assert "the old secret also signs until" in rotated.stderr


def test_disable_and_enable(hub: Hub) -> None:
    hub("subscriptions", "create", "mes", "--url", "http://127.0.0.1:9/hook", "-e", "*")

    assert hub("subscriptions", "disable", "mes", "--reason", "maintenance").stdout == "mes: disabled\n"
    assert "disabled (maintenance)" in hub("subscriptions", "list").stdout
    assert hub("subscriptions", "enable", "mes").stdout == "mes: enabled\n"


def test_sync_brings_hub_yaml_in_and_prints_generated_secrets(hub: Hub) -> None:
    (hub.workspace / "hub.yaml").write_text(
        "subscriptions:\n  mes:\n    url: http://127.0.0.1:9/hook\n    events: [order.confirmed]\n"
        "    ordered: true\n", encoding="utf-8"
    )

    result = hub("subscriptions", "sync")

    assert result.exit_code == 0, result.output
    name, secret = result.stdout.strip().split("\t")
    assert (name, secret[:6]) == ("mes", "whsec_")
    assert "subscriptions already match hub.yaml" in hub("subscriptions", "sync").stderr


def test_deliveries_list_replay_and_purge(hub: Hub) -> None:
    hub("subscriptions", "create", "mes", "--url", "http://127.0.0.1:9/hook", "-e", "order.*")
    engine = create_db_engine(hub.database_url)
    with engine.begin() as conn:
        append_events(conn, [NewEvent("order.created", "order", "ord_1", 1, {"id": "ord_1"})], now=utcnow())
        conn.execute(update(DELIVERIES).values(status="dead", last_error="HTTP 500 (gave up after 9 attempts)"))
        [delivery_id] = conn.execute(DELIVERIES.select().with_only_columns(DELIVERIES.c.id)).scalars()
    engine.dispose()

    listed = hub("deliveries", "list", "--status", "dead")
    assert delivery_id in listed.stdout
    assert "order.created" in listed.stdout
    shown = hub("deliveries", "show", delivery_id)
    assert '"webhook_id": "evt_' in shown.stdout

    assert hub("deliveries", "replay", "--dead").stdout == "queued 1 delivery again\n"
    assert delivery_id in hub("deliveries", "list", "--status", "pending").stdout
    refused = hub("deliveries", "replay", delivery_id)
    assert refused.exit_code == 1
    assert "pending" in refused.stderr

    purged = hub("deliveries", "purge", "--older-than", "30d")
    assert purged.stdout == "removed 0 attempts and 0 delivered bodies older than 30d\n"


def test_replay_needs_ids_or_a_status(hub: Hub) -> None:
    result = hub("deliveries", "replay")

    assert result.exit_code == 1
    assert "give delivery ids" in result.stderr
