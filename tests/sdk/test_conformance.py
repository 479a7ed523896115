"""The conformance kit passes a connector that keeps the contract and names each way of breaking it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr

from hub.sdk import ConnectorContext, ConnectorSettings, Page, PushResult, StreamSpec, StreamState
from hub.sdk.testing import (
    ConnectorConformance,
    check_connector,
    check_declaration,
    check_health,
    check_masking,
    check_pages,
    check_push,
    check_resume,
)
from tests.sync.fake import FakeConnector, FakeSettings, FakeSource, connector_class


def _source(records: int = 7) -> FakeSource:
    source = FakeSource(page_size=2)
    for n in range(1, records + 1):
        source.put("contacts", f"C{n}", name=f"客户{n}")
        source.put("orders", f"SO-{n}", number=f"SO-{n}")
    source.touch("contacts", "C3", cursor=3)  # C2 and C3 share a cursor value across a page boundary
    return source


def _fake(cls: type[FakeConnector] | None = None, **settings: Any) -> FakeConnector:
    cls = cls or connector_class(_source())
    values = {"base_url": "http://fake.test/", "api_token": "tok-0123456789abcdef", **settings}
    return cls(cls.settings_model.model_validate(values), ConnectorContext("fk", "fake"))


class TestFakeConnectorConformance(ConnectorConformance):
    connector_class = FakeConnector
    push_samples: ClassVar[dict[str, dict[str, Any]]] = {"contacts": {"name": "新客户"}}

    def create(self) -> FakeConnector:
        return _fake()


def test_check_connector_runs_every_check_at_once() -> None:
    check_connector(_fake, push_samples={"contacts": {"name": "新客户"}})


def _run(coro: Any) -> list[str]:
    return asyncio.run(coro)


class PlainSecretSettings(ConnectorSettings):
    app_secret: str


def test_a_secret_setting_not_declared_secret_is_named() -> None:
    cls = type("Leaky", (FakeConnector,), {"settings_model": PlainSecretSettings})

    assert check_declaration(cls) == [
        "PlainSecretSettings.app_secret holds a secret: declare it SecretStr (or SecretStr | None)"
    ]


def test_a_stream_of_an_unknown_entity_is_named() -> None:
    cls = type("Odd", (FakeConnector,), {"streams": {"x": StreamSpec("x", "invoice")}})

    [problem] = check_declaration(cls)
    assert problem.startswith("stream 'x' feeds unknown entity 'invoice'")


def test_a_settings_model_that_is_not_connector_settings_is_named() -> None:
    cls = type("Odd", (FakeConnector,), {"settings_model": dict})

    assert check_declaration(cls) == ["Odd.settings_model must derive from hub.sdk.ConnectorSettings"]


def test_masked_settings_that_show_a_secret_are_named() -> None:
    class Showing(FakeSettings):
        def masked(self) -> dict[str, Any]:
            return {"api_token": self.api_token.get_secret_value() if self.api_token else None}

    cls = type("Showing", (FakeConnector,), {"settings_model": Showing, "source": _source()})

    assert check_masking(_fake(cls)) == ["masked() shows the secret setting api_token"]


def test_a_failing_health_check_is_named() -> None:
    connector = _fake()
    connector.source.healthy = False

    assert _run(check_health(connector)) == ["check() is not ok: fake system says: invalid api_token"]


class SetState(FakeConnector):
    source: ClassVar[FakeSource] = _source()

    async def read(self, stream: str, state: StreamState, *, full: bool) -> AsyncIterator[Page]:
        yield Page([{"id": "1"}], StreamState(cursor={"ids": {1, 2}}))  # type: ignore[arg-type]


def test_a_state_that_is_not_json_is_named() -> None:
    problems = _run(check_pages(_fake(SetState), "contacts"))

    assert any("state is not JSON-serialisable" in p for p in problems)


class SkippingResume(FakeConnector):
    """Reads with > instead of >=: records sharing the boundary cursor are lost."""

    source: ClassVar[FakeSource] = _source()

    async def read(self, stream: str, state: StreamState, *, full: bool) -> AsyncIterator[Page]:
        cursor = None if full else state.cursor
        rows = sorted((r for r in self.source.streams[stream].values() if cursor is None or r["updated"] > cursor),
                      key=lambda r: (r["updated"], r["id"]))
        for start in range(0, max(len(rows), 1), 2):
            chunk = rows[start : start + 2]
            yield Page(chunk, StreamState(chunk[-1]["updated"] if chunk else cursor))


def test_resuming_that_skips_records_at_the_boundary_is_named() -> None:
    problems = _run(check_resume(_fake(SkippingResume), "contacts", max_pages=4))

    assert any("skipped" in p for p in problems), problems


class RepeatingResume(FakeConnector):
    """Ignores the state: every read starts from the beginning."""

    source: ClassVar[FakeSource] = _source()

    async def read(self, stream: str, state: StreamState, *, full: bool) -> AsyncIterator[Page]:
        async for page in super().read(stream, StreamState(), full=True):
            yield page


def test_resuming_that_repeats_earlier_pages_is_named() -> None:
    problems = _run(check_resume(_fake(RepeatingResume), "contacts"))

    assert any("repeated a record before the cursor boundary" in p for p in problems), problems


class DoublePush(FakeConnector):
    source: ClassVar[FakeSource] = _source()

    async def push(self, action: str, record: dict[str, Any], *, idempotency_key: str) -> PushResult:
        number = len(self.source.pushed) + 1
        self.source.pushed[f"{idempotency_key}-{number}"] = f"P{number}"
        return PushResult(f"P{number}", created=True)


def test_a_push_that_is_not_idempotent_is_named() -> None:
    assert _run(check_push(_fake(DoublePush), "contacts", {"name": "x"})) == [
        "push('contacts') twice with one key made two records: P1 and P2",
        "push('contacts') retried with the same key reported created=True",
    ]


def test_check_connector_lists_every_problem_in_one_assertion() -> None:
    with pytest.raises(AssertionError, match="connector conformance:\n  push"):
        check_connector(lambda: _fake(DoublePush), push_samples={"contacts": {"name": "x"}})


def test_an_action_without_a_sample_record_is_named() -> None:
    class Missing(TestFakeConnectorConformance):
        push_samples: ClassVar[dict[str, dict[str, Any]]] = {}

    with pytest.raises(AssertionError, match="push_samples has no sample record for action 'contacts'"):
        Missing().test_pushes_are_idempotent()


def test_secret_str_settings_pass() -> None:
    class Good(ConnectorSettings):
        app_secret: SecretStr
        password: SecretStr | None = None

    assert check_declaration(type("Good", (FakeConnector,), {"settings_model": Good})) == []
