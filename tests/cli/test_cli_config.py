"""hub config check: OK, or every error with file and line and a non-zero exit."""

from __future__ import annotations

from tests.cli.hub_cli_harness import Hub, WriteConfig


def test_check_prints_ok_for_a_valid_file(hub: Hub, write_config: WriteConfig) -> None:
    path = write_config("connectors:\n  kd: {type: kingdee}\n")

    result = hub("config", "check")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"OK: {path} (1 connector(s), 0 source(s), 0 subscription(s))\n"


def test_check_without_hub_yaml_says_defaults_apply(hub: Hub) -> None:
    result = hub("config", "check")

    assert result.exit_code == 0, result.output
    assert "has no hub.yaml; every default applies" in result.stdout


def test_check_prints_every_error_with_file_and_line(hub: Hub, write_config: WriteConfig) -> None:
    write_config("connectors:\n  kd:\n    tpye: kingdee\nsubscriptions:\n  mes: {url: 'https://m', events: [x.y]}\n")

    result = hub("config", "check")

    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "error: 3 configuration errors:"
    assert lines[1] == "  hub.yaml:2: connectors.kd.type: missing required key 'type'"
    assert lines[2] == "  hub.yaml:3: connectors.kd.tpye: unknown key 'tpye' (did you mean 'type'?)"
    assert lines[3].startswith("  hub.yaml:5: subscriptions.mes.events[0]: unknown event type 'x.y'")
    assert "Traceback" not in result.output


def test_check_reports_a_missing_variable(hub: Hub, write_config: WriteConfig) -> None:
    write_config("connectors:\n  kd:\n    type: kingdee\n    settings: {password: '${HUB_TEST_UNSET_PASSWORD}'}\n")

    result = hub("config", "check")

    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: hub.yaml:4: connectors.kd.settings.password: environment variable HUB_TEST_UNSET_PASSWORD is not set"
    )


def test_check_takes_a_folder_argument(hub: Hub) -> None:
    result = hub("config", "check", str(hub.workspace / "missing"))

    assert result.exit_code == 2
    assert "workspace folder does not exist" in result.stderr
