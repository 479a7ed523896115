"""Every command explains itself with --help; no command for a later feature is registered."""

from __future__ import annotations

import pytest

from hub import __version__
from tests.cli.hub_cli_harness import Hub

COMMANDS = [
    ("init",),
    ("demo",),
    ("flows",),
    ("flows", "validate"),
    ("flows", "retry"),
    ("flows", "purge"),
    ("flows", "preview"),
    ("secrets",),
    ("secrets", "keygen"),
    ("secrets", "rotate-key"),
    ("serve",),
    ("db",),
    ("db", "upgrade"),
    ("db", "status"),
    ("keys",),
    ("keys", "create"),
    ("keys", "list"),
    ("keys", "revoke"),
    ("config",),
    ("config", "check"),
    ("mappings",),
    ("mappings", "validate"),
    ("mappings", "preview"),
    ("mappings", "list"),
    ("remap",),
    ("worker",),
    ("connectors",),
    ("connectors", "list"),
    ("connectors", "test"),
    ("sync",),
    ("sync-runs",),
    ("sync-runs", "list"),
    ("quarantine",),
    ("quarantine", "list"),
    ("quarantine", "retry"),
    ("quarantine", "discard"),
    ("subscriptions",),
    ("subscriptions", "list"),
    ("subscriptions", "create"),
    ("subscriptions", "rotate"),
    ("subscriptions", "enable"),
    ("subscriptions", "disable"),
    ("subscriptions", "delete"),
    ("subscriptions", "sync"),
    ("deliveries",),
    ("deliveries", "list"),
    ("deliveries", "show"),
    ("deliveries", "replay"),
    ("deliveries", "purge"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_has_help(hub: Hub, command: tuple[str, ...]) -> None:
    result = hub(*command, "--help")

    assert result.exit_code == 0, result.output
    description = result.stdout.split("\n\n")[1].strip()
    assert len(description) > 20, result.stdout


def test_top_level_help_lists_the_commands(hub: Hub) -> None:
    result = hub("--help")

    for name in ("init", "serve", "db", "keys", "config", "mappings", "remap", "worker", "connectors", "sync",
                 "sync-runs", "quarantine", "subscriptions", "deliveries", "flows", "demo"):
        assert f"  {name} " in result.stdout


def test_no_arguments_shows_help(hub: Hub) -> None:
    result = hub()

    assert "Usage: hub" in result.output


def test_version(hub: Hub) -> None:
    result = hub("--version")

    assert result.stdout == f"hub {__version__}\n"


def test_run_is_the_console_script(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from hub.cli.main import run

    monkeypatch.setattr(sys, "argv", ["hub", "--version"])
    with pytest.raises(SystemExit) as caught:
        run()
    assert caught.value.code == 0
