"""An in-memory connector for sync tests: a source of raw records the test changes between runs, and fault knobs.

``FakeSource`` keeps records per stream with an integer ``updated`` cursor that grows on
every change; the connector reads with ``>=`` on it (so the record at the boundary
comes again, as real connectors do) in pages of ``page_size``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import SecretStr

from hub.errors import HubError
from hub.sdk import (
    ActionSpec,
    Connector,
    ConnectorSettings,
    Health,
    Page,
    PushResult,
    StreamSpec,
    StreamState,
)


class Crash(RuntimeError):
    """Stands in for the process dying between two pages."""


class FakeSettings(ConnectorSettings):
    api_token: SecretStr | None = None
    page_size: int | None = None


@dataclass
class FakeSource:
    streams: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {"contacts": {}, "orders": {}, "payments": {}}
    )
    page_size: int = 2
    clock: int = 0
    fail_on_page: dict[int, HubError] = field(default_factory=dict)  # page number -> raised once when reached
    crash_after_page: int | None = None  # raise Crash when asked for the page after this one (once)
    healthy: bool = True
    reads: list[tuple[str, bool, Any]] = field(default_factory=list)  # (stream, full, cursor) of each read
    pushed: dict[str, str] = field(default_factory=dict)  # idempotency key -> external id

    def put(self, stream: str, record_id: str, **fields: Any) -> dict[str, Any]:
        """Create or change a record; it gets the next cursor value."""
        self.clock += 1
        record = {"id": record_id, **fields, "updated": self.clock}
        self.streams[stream][record_id] = record
        return record

    def touch(self, stream: str, record_id: str, *, cursor: int) -> None:
        """Set a record's cursor without changing it (records sharing one timestamp)."""
        self.streams[stream][record_id]["updated"] = cursor

    def delete(self, stream: str, *record_ids: str) -> None:
        for record_id in record_ids:
            del self.streams[stream][record_id]


class FakeConnector(Connector):
    type = "fake"
    settings_model = FakeSettings
    streams: ClassVar[dict[str, StreamSpec]] = {
        "contacts": StreamSpec("contacts", "customer", cursor_field="updated"),
        "orders": StreamSpec("orders", "order", cursor_field="updated"),
        # Payments describe part of an order: each carries the id of the order it pays.
        "payments": StreamSpec("payments", "order", cursor_field="updated", attach_to_object="orders"),
    }
    actions: ClassVar[dict[str, ActionSpec]] = {"contacts": ActionSpec("contacts", "customer")}
    source: ClassVar[FakeSource]
    closed: ClassVar[int] = 0

    async def check(self) -> Health:
        if not self.source.healthy:
            return Health(False, "fake system says: invalid api_token", {"code": 40001})
        return Health(True, f"connected to {self.settings.base_url}", {"records": self.count()})

    def count(self) -> int:
        return sum(len(records) for records in self.source.streams.values())

    async def read(self, stream: str, state: StreamState, *, full: bool) -> AsyncIterator[Page]:
        source = self.source
        cursor = None if full else state.cursor
        source.reads.append((stream, full, cursor))
        rows = sorted(
            (r for r in source.streams[stream].values() if cursor is None or r["updated"] >= cursor),
            key=lambda r: (r["updated"], r["id"]),
        )
        size = getattr(self.settings, "page_size", None) or source.page_size
        for number, start in enumerate(range(0, max(len(rows), 1), size), start=1):
            if number in source.fail_on_page:
                raise source.fail_on_page.pop(number)
            if source.crash_after_page is not None and number > source.crash_after_page:
                source.crash_after_page = None
                raise Crash(f"crashed before page {number}")
            chunk = [dict(r) for r in rows[start : start + size]]
            yield Page(chunk, StreamState(chunk[-1]["updated"] if chunk else cursor))

    async def push(self, action: str, record: dict[str, Any], *, idempotency_key: str) -> PushResult:
        if idempotency_key in self.source.pushed:
            return PushResult(self.source.pushed[idempotency_key], created=False)
        external_id = f"P{len(self.source.pushed) + 1}"
        self.source.pushed[idempotency_key] = external_id
        self.source.put(action, external_id, **record)
        return PushResult(external_id, created=True)

    async def aclose(self) -> None:
        type(self).closed += 1


def connector_class(source: FakeSource) -> type[FakeConnector]:
    """A FakeConnector class reading from ``source`` (one per test)."""
    return type("FakeConnector", (FakeConnector,), {"source": source, "closed": 0})
