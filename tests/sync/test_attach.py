"""Streams with attach_to_object: their records join the record the same system knows under that object."""

from __future__ import annotations

from sqlalchemy import text

from hub.sync.quarantine import list_entries
from hub.sync.retry import retry_entries
from tests.sync.conftest import FakeHub


def _order(fake: FakeHub) -> dict:
    with fake.engine.connect() as conn:
        row = conn.execute(text("SELECT id, total, payment_status, paid_amount, version FROM orders")).mappings().one()
    return dict(row)


def test_a_payment_attaches_to_the_order_with_the_same_id(fake: FakeHub) -> None:
    fake.source.put("orders", "SO-1", number="SO-1", state="ok", total="1200.50")
    fake.sync("order")
    fake.source.put("payments", "PAY-1", order_id="SO-1", state="full", amount="1200.50")

    outcome = fake.sync("order", connector="fk-pay")

    assert outcome.counts.updated == 1
    assert fake.count("orders") == 1
    order = _order(fake)
    assert order["payment_status"] == "paid"
    assert str(order["paid_amount"]) == "1200.50"
    assert str(order["total"]) == "1200.50"  # still from the order itself
    assert fake.count("events", "WHERE type = 'order.paid'") == 1
    refs = fake.count("record_refs", f"WHERE record_id = '{order['id']}'")
    assert refs == 2


def test_a_payment_for_an_unknown_order_is_quarantined_then_retried_once_the_order_arrives(fake: FakeHub) -> None:
    fake.source.put("payments", "PAY-1", order_id="SO-9", state="part", amount="100")

    outcome = fake.sync("order", connector="fk-pay")

    assert outcome.counts.quarantined == 1
    assert fake.count("orders") == 0
    with fake.engine.connect() as conn:
        [entry] = list_entries(conn)[0]
    assert entry["external_id"] == "SO-9"
    assert entry["error"]["kind"] == "record"
    assert "orders" in entry["error"]["reason"]

    fake.source.put("orders", "SO-9", number="SO-9", state="ok", total="300")
    fake.sync("order")
    [retried] = retry_entries(fake.engine, fake.workspace(), [entry["id"]], actor="ops")

    assert retried.ok
    assert _order(fake)["payment_status"] == "partial"


def test_a_payment_never_brings_back_a_deleted_order(fake: FakeHub) -> None:
    fake.source.put("orders", "SO-1", number="SO-1", state="ok")
    fake.source.put("orders", "SO-2", number="SO-2", state="ok")
    fake.source.put("orders", "SO-3", number="SO-3", state="ok")
    fake.source.put("orders", "SO-4", number="SO-4", state="ok")
    fake.source.put("orders", "SO-5", number="SO-5", state="ok")
    fake.sync("order", full=True)
    fake.source.delete("orders", "SO-1")
    fake.sync("order", full=True)
    fake.source.put("payments", "PAY-1", order_id="SO-1", state="full", amount="10")

    outcome = fake.sync("order", connector="fk-pay")

    assert outcome.counts.quarantined == 1
    assert fake.count("orders", "WHERE deleted_at IS NULL") == 4
