"""hub serve: refuses to start on a bad workspace or an old schema; otherwise hands over to uvicorn."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from tests.cli.hub_cli_harness import Hub, WriteConfig


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    import uvicorn

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


class FakeWorkers:
    """Records what ``hub serve`` does with its worker processes instead of starting them."""

    made: ClassVar[list[FakeWorkers]] = []

    def __init__(self, count: int) -> None:
        self.count = count
        self.events: list[str] = []
        FakeWorkers.made.append(self)

    def start(self) -> None:
        self.events.append("start")

    def stop(self) -> None:
        self.events.append("stop")


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> type[FakeWorkers]:
    import hub.cli.serve

    FakeWorkers.made = []
    monkeypatch.setattr(hub.cli.serve, "WorkerProcesses", FakeWorkers)
    return FakeWorkers


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


def test_serve_runs_the_api_and_a_worker_process_on_the_configured_address(
    migrated: Hub, uvicorn_calls: list[Any], monkeypatch: pytest.MonkeyPatch, workers: type[FakeWorkers]
) -> None:
    monkeypatch.setenv("HUB_HOST", "10.1.2.3")
    monkeypatch.setenv("HUB_PORT", "9000")

    result = migrated("serve")

    assert result.exit_code == 0, result.output
    [(args, kwargs)] = uvicorn_calls
    log_config = kwargs.pop("log_config")
    # The API in this process; one worker process (with the scheduler) started before it and stopped after.
    assert args == ("hub.api.app:app_from_environment",)
    [children] = workers.made
    assert (children.count, children.events) == (1, ["start", "stop"])
    assert kwargs == {"factory": True, "host": "10.1.2.3", "port": 9000, "log_level": "info"}
    # Server logs go through handlers that mask phones, e-mails and keys.
    assert all("redact" in handler["filters"] for handler in log_config["handlers"].values())


def test_serve_with_no_worker_runs_the_api_only(
    migrated: Hub, uvicorn_calls: list[Any], workers: type[FakeWorkers]
) -> None:
    result = migrated("serve", "--no-worker")

    assert result.exit_code == 0, result.output
    [(args, kwargs)] = uvicorn_calls
    assert args == ("hub.api.app:app_from_environment",)
    assert kwargs["factory"] is True
    assert "hub worker" in result.stderr
    assert workers.made == []


def test_serve_in_process_runs_the_worker_inside_the_api_process(
    migrated: Hub, uvicorn_calls: list[Any], workers: type[FakeWorkers]
) -> None:
    result = migrated("serve", "--in-process")

    assert result.exit_code == 0, result.output
    [(args, _kwargs)] = uvicorn_calls
    assert args == ("hub.api.app:app_with_workers_from_environment",)
    assert workers.made == []


def test_serve_starts_as_many_worker_processes_as_asked(
    migrated: Hub, uvicorn_calls: list[Any], workers: type[FakeWorkers]
) -> None:
    result = migrated("serve", "--workers", "3")

    assert result.exit_code == 0, result.output
    assert [w.count for w in workers.made] == [3]


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
