"""hub serve: refuses to start on a bad workspace or an old schema; otherwise hands over to uvicorn."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli.hub_cli_harness import Hub, WriteConfig


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    import uvicorn

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def test_serve_with_an_unmigrated_database_exits_1_with_the_hint(hub: Hub, uvicorn_calls: list[Any]) -> None:
    result = hub("serve")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: the database has no schema yet: run `hub db upgrade` first")
    assert uvicorn_calls == []


def test_serve_with_a_config_error_exits_2_with_file_and_line(
    migrated: Hub, write_config: WriteConfig, uvicorn_calls: list[Any]
) -> None:
    write_config("connectors:\n  kd: {type: kingdee, setings: {}}\n")

    result = migrated("serve")

    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: hub.yaml:2: connectors.kd.setings: unknown key 'setings' (did you mean 'settings'?)"
    )
    assert uvicorn_calls == []


def test_serve_runs_the_app_factory_on_the_configured_address(
    migrated: Hub, uvicorn_calls: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_HOST", "10.1.2.3")
    monkeypatch.setenv("HUB_PORT", "9000")

    result = migrated("serve")

    assert result.exit_code == 0, result.output
    [(args, kwargs)] = uvicorn_calls
    log_config = kwargs.pop("log_config")
    # The API, a worker and the scheduler in one process: the embedded default.
    assert args == ("hub.api.app:app_with_workers_from_environment",)
    assert kwargs == {"factory": True, "host": "10.1.2.3", "port": 9000, "log_level": "info"}
    # Server logs go through handlers that mask phones, e-mails and keys.
    assert all("redact" in handler["filters"] for handler in log_config["handlers"].values())


def test_serve_with_no_worker_runs_the_api_only(migrated: Hub, uvicorn_calls: list[Any]) -> None:
    result = migrated("serve", "--no-worker")

    assert result.exit_code == 0, result.output
    [(args, kwargs)] = uvicorn_calls
    assert args == ("hub.api.app:app_from_environment",)
    assert kwargs["factory"] is True
    assert "hub worker" in result.stderr


def test_serve_flags_override_the_settings(
    migrated: Hub, uvicorn_calls: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_PORT", "9000")

    result = migrated("serve", "--host", "127.0.0.2", "--port", "8123")

    assert result.exit_code == 0, result.output
    assert uvicorn_calls[0][1]["host"] == "127.0.0.2"
    assert uvicorn_calls[0][1]["port"] == 8123


def test_serve_factory_targets_exist() -> None:
    from hub.api import app as api_app

    assert callable(api_app.app_from_environment)
    assert callable(api_app.app_with_workers_from_environment)
