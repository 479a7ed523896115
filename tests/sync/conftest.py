"""A workspace with the fake connector registered, its mappings, and a migrated database."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from hub.sync.engine import ProgressCallback, SyncOutcome, SyncRequest, run_sync
from hub.sync.runs import get_run
from hub.workspace import Workspace, load_workspace
from tests.sync.fake import FakeConnector, FakeSource, connector_class

HUB_YAML = """\
connectors:
  fk:
    type: fake
    settings:
      base_url: http://fake.test/
      api_token: ${FAKE_TOKEN}
    entities:
      customer: {mapping: fake-contact, schedule: "every 2m"}
      order: {mapping: fake-order, schedule: "*/10 * * * *"}
  fk-pay:                      # payments attach to the orders fk syncs (same crosswalk system: fake)
    type: fake
    settings: {base_url: http://fake.test/}
    entities:
      order: {mapping: fake-payment}
sync:
  delete_guard: 0.2
"""

CONTACT_MAPPING = """\
version: 1
name: fake-contact
system: fake
object: contacts
entity: customer
id: id
cursor: updated
fields:
  name: name
  status: {from: level, map: {a: active, b: dormant}, required: false}
"""

FIXED_CONTACT_MAPPING = CONTACT_MAPPING.replace("  name: name\n", "  name: {from: [name, alias]}\n")

ORDER_MAPPING = """\
version: 1
name: fake-order
system: fake
object: orders
entity: order
id: id
cursor: updated
fields:
  number: number
  customer_id: {from: customer, lookup: {system: fake, entity: customer}, required: false}
  status: {from: state, map: {new: draft, ok: confirmed}, default: draft}
  total: {from: total, pipe: [decimal], required: false}
"""

PAYMENT_MAPPING = """\
version: 1
name: fake-payment
system: fake
object: payments
entity: order
id: order_id
cursor: updated
fields:
  payment_status: {from: state, map: {part: partial, full: paid}}
  paid_amount: {from: amount, pipe: [decimal]}
"""


@dataclass
class FakeHub:
    engine: Engine
    root: Path
    source: FakeSource
    connector: type[FakeConnector]

    def workspace(self) -> Workspace:
        return load_workspace(self.root)

    def write_mapping(self, name: str, text: str) -> None:
        (self.root / "mappings" / f"{name}.yaml").write_text(text, encoding="utf-8")

    def write_config(self, text: str) -> None:
        (self.root / "hub.yaml").write_text(text, encoding="utf-8")

    def sync(
        self, entity: str = "customer", *, connector: str = "fk", full: bool = False, confirm: bool = False,
        progress: ProgressCallback | None = None, **kwargs: Any,
    ) -> SyncOutcome:
        request = SyncRequest(connector, entity, full=full, confirm_deletions=confirm)
        return asyncio.run(run_sync(self.engine, self.workspace(), request, progress=progress, **kwargs))

    def run(self, run_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return get_run(conn, run_id)

    def count(self, table: str, where: str = "") -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table} {where}")).scalar_one())  # noqa: S608

    def scalar(self, query: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def live_customers(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT name FROM customers WHERE deleted_at IS NULL ORDER BY name"))
            return [r[0] for r in rows]


def make_fake_hub(engine: Engine, root: Path, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    (root / "mappings").mkdir(parents=True, exist_ok=True)
    source = FakeSource()
    cls = connector_class(source)
    monkeypatch.setattr("hub.sdk.registry.connector_types", lambda: {"fake": cls})
    monkeypatch.setenv("FAKE_TOKEN", "tok-0123456789abcdef")
    hub = FakeHub(engine, root, source, cls)
    hub.write_config(HUB_YAML)
    hub.write_mapping("fake-contact", CONTACT_MAPPING)
    hub.write_mapping("fake-order", ORDER_MAPPING)
    hub.write_mapping("fake-payment", PAYMENT_MAPPING)
    return hub


@pytest.fixture
def fake(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    """On SQLite and PostgreSQL."""
    return make_fake_hub(engine, tmp_path / "ws", monkeypatch)


@pytest.fixture
def fake_sqlite(db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeHub:
    """On SQLite only (for tests that are not about the database)."""
    return make_fake_hub(db_engine, tmp_path / "ws", monkeypatch)

