"""Full and incremental syncs: pages land in the store with their cursor, and reading again costs nothing."""

from __future__ import annotations

from sqlalchemy import text

from hub.sdk.contract import StreamState
from hub.sync.engine import Progress
from hub.sync.state import load_state
from tests.sync.conftest import FakeHub


def _contacts(fake: FakeHub, *names: str) -> None:
    for number, name in enumerate(names, start=1):
        fake.source.put("contacts", f"C{number}", name=name, level="a")


def test_a_first_sync_creates_every_record_and_records_the_run(fake: FakeHub) -> None:
    _contacts(fake, "华为", "腾讯", "阿里", "字节", "美团")

    outcome = fake.sync()

    assert outcome.status == "succeeded"
    assert outcome.pages == 3  # page size 2
    assert outcome.counts.as_dict() == {"read": 5, "created": 5, "updated": 0, "unchanged": 0, "quarantined": 0,
                                        "deleted": 0}
    assert fake.live_customers() == sorted(["华为", "腾讯", "阿里", "字节", "美团"])
    run = fake.run(outcome.run_id)
    assert run["status"] == "succeeded"
    assert run["mode"] == "incremental"
    assert run["stream"] == "contacts"
    assert run["mapping"] == "fake-contact"
    assert run["counts"]["created"] == 5
    assert run["duration_seconds"] is not None
    assert run["finished_at"] is not None


def test_each_page_saves_the_stream_state(fake: FakeHub) -> None:
    _contacts(fake, "a", "b", "c")

    fake.sync()

    with fake.engine.connect() as conn:
        assert load_state(conn, "fk", "contacts") == StreamState(cursor=3)


def test_an_incremental_sync_reads_from_the_saved_cursor(fake: FakeHub) -> None:
    _contacts(fake, "a", "b", "c")
    fake.sync()
    fake.source.put("contacts", "C2", name="b2", level="a")

    outcome = fake.sync()

    assert fake.source.reads[-1] == ("contacts", False, 3)
    assert outcome.counts.updated == 1
    assert outcome.counts.read == 2  # the boundary record C3 again (>=), and C2
    assert fake.live_customers() == ["a", "b2", "c"]


def test_boundary_duplicates_make_no_version_and_no_event(fake: FakeHub) -> None:
    _contacts(fake, "a", "b", "c")
    fake.sync()
    events, versions = fake.count("events"), fake.count("record_versions")

    outcome = fake.sync()

    assert outcome.counts.read == 1
    assert outcome.counts.unchanged == 1
    assert outcome.counts.created == outcome.counts.updated == 0
    assert (fake.count("events"), fake.count("record_versions")) == (events, versions)


def test_records_sharing_the_boundary_timestamp_are_all_read_again_and_dropped(fake: FakeHub) -> None:
    _contacts(fake, "a", "b", "c", "d")
    for record_id in ("C2", "C3", "C4"):
        fake.source.touch("contacts", record_id, cursor=2)
    fake.sync()
    events = fake.count("events")

    outcome = fake.sync()

    assert outcome.counts.read == 3
    assert outcome.counts.unchanged == 3
    assert fake.count("events") == events


def test_a_full_sync_reads_everything_again_and_changes_nothing_unchanged(fake: FakeHub) -> None:
    _contacts(fake, "a", "b", "c")
    fake.sync()
    events = fake.count("events")

    outcome = fake.sync(full=True)

    assert fake.source.reads[-1] == ("contacts", True, None)
    assert outcome.counts.read == 3
    assert outcome.counts.unchanged == 3
    assert fake.count("events") == events
    assert fake.run(outcome.run_id)["mode"] == "full"


def test_an_empty_source_yields_one_empty_page(fake: FakeHub) -> None:
    outcome = fake.sync()

    assert outcome.status == "succeeded"
    assert outcome.pages == 1
    assert outcome.counts.read == 0


def test_refs_remember_the_mapping_and_its_hash(fake: FakeHub) -> None:
    _contacts(fake, "a")

    fake.sync()

    with fake.engine.connect() as conn:
        row = conn.execute(text("SELECT system, object, mapping, mapping_hash FROM record_refs")).one()
    assert row[:3] == ("fake", "contacts", "fake-contact")
    assert row[3]


def test_progress_is_reported_after_each_committed_page_and_at_the_end(fake: FakeHub) -> None:
    _contacts(fake, "a", "b", "c")
    seen: list[tuple[str, int, int]] = []

    def progress(p: Progress) -> None:
        seen.append((p.phase, p.pages, p.counts.read))

    fake.sync(progress=progress)

    assert seen == [("reading", 1, 2), ("reading", 2, 3), ("done", 2, 3)]


def test_lookups_resolve_through_the_crosswalk_in_the_pages_transaction(fake: FakeHub) -> None:
    fake.source.put("contacts", "C1", name="华为", level="a")
    fake.source.put("orders", "SO-1", number="SO-1", customer="C1", state="ok", total="120.50")
    fake.sync("customer")

    outcome = fake.sync("order")

    assert outcome.counts.created == 1
    with fake.engine.connect() as conn:
        customer_id = conn.execute(text("SELECT id FROM customers")).scalar()
        order = conn.execute(text("SELECT customer_id, status FROM orders")).one()
    assert order == (customer_id, "confirmed")


def test_the_connector_is_closed_after_the_run(fake: FakeHub) -> None:
    fake.sync()

    assert fake.connector.closed == 1
