"""hub remap's engine: only records whose canonical fields change get a version and an event (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from hub.events.outbox import list_events
from hub.mapping import Mapping, load_mapping
from hub.mapping.remap import remap
from hub.store import SourceRecord, get_record, upsert_records
from hub.store.tables import RecordRef, RecordVersion
from tests.mapping_tools.helpers import customer_mapping

V1 = load_mapping(customer_mapping())
# v2 upper-cases names and requires a tax id.
V2 = load_mapping(customer_mapping(name_pipe="[trim, upper]", tax_required=True))

RAWS = {
    "C1": {"FNumber": "C1", "FName": "acme", "FTaxNo": "91310000MA1FL8TQ3A"},  # v2 changes the name
    "C2": {"FNumber": "C2", "FName": "BETA", "FTaxNo": "91440300MA5FUL9N1B"},  # v2 gives the same fields
    "C3": {"FNumber": "C3", "FName": "gamma"},  # no tax id: v2 fails on it
}


@pytest.fixture
def stored(engine: Engine) -> dict[str, str]:
    """The three customers mapped by v1 and written through the store; their record ids by number."""
    records = [_source(V1, raw) for raw in RAWS.values()]
    with engine.begin() as conn:
        results = upsert_records(conn, "customer", records)
    return {r.external_id: str(r.record_id) for r in results}


def _source(mapping: Mapping, raw: dict[str, Any], **extra: Any) -> SourceRecord:
    return SourceRecord("kingdee", "BD_Customer", mapping.record_id(raw), mapping.apply(raw), raw,
                        mapping=mapping.name, mapping_hash=mapping.hash, **extra)


def _versions(engine: Engine) -> dict[str, int]:
    table = RecordVersion.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.record_id, table.c.version)).all()
    latest: dict[str, int] = {}
    for record_id, version in rows:
        latest[record_id] = max(version, latest.get(record_id, 0))
    return latest


def _hashes(engine: Engine) -> dict[str, str | None]:
    table = RecordRef.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.external_id, table.c.mapping_hash))
        return dict(rows.all())


def _updates(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return list_events(conn, types=["customer.updated"], limit=1000)


def test_only_records_whose_fields_change_get_a_new_version_and_an_event(
    engine: Engine, stored: dict[str, str]
) -> None:
    summary = remap(engine, V2)

    assert (summary.examined, summary.updated, summary.unchanged, summary.failed) == (3, 1, 1, 1)
    assert _versions(engine) == {stored["C1"]: 2, stored["C2"]: 1, stored["C3"]: 1}
    [event] = _updates(engine)
    assert event["data"]["id"] == stored["C1"]
    assert event["changes"] == {"name": {"old": "acme", "new": "ACME"}}
    [change] = summary.changes
    assert (change.external_id, change.record_id, change.version, change.changed) == (
        "C1", stored["C1"], 2, ("name",))


def test_a_record_the_new_mapping_fails_on_is_reported_and_left_as_it_was(
    engine: Engine, stored: dict[str, str]
) -> None:
    summary = remap(engine, V2)

    [failure] = summary.failures
    assert (failure.external_id, failure.record_id, failure.field) == ("C3", stored["C3"], "tax_id")
    assert failure.reason.startswith("no value at FTaxNo")
    with engine.connect() as conn:
        record = get_record(conn, "customer", stored["C3"])
    assert record["name"] == "gamma"
    assert record["deleted_at"] is None
    assert _hashes(engine)["C3"] == V1.hash


def test_refs_mapped_by_the_current_version_are_marked_so_even_when_nothing_changed(
    engine: Engine, stored: dict[str, str]
) -> None:
    remap(engine, V2)

    assert _hashes(engine) == {"C1": V2.hash, "C2": V2.hash, "C3": V1.hash}


def test_running_remap_again_changes_nothing(engine: Engine, stored: dict[str, str]) -> None:
    remap(engine, V2)
    versions, events = _versions(engine), _updates(engine)

    again = remap(engine, V2)

    assert (again.examined, again.updated, again.unchanged, again.failed) == (1, 0, 0, 1)  # only the failing C3
    assert _versions(engine) == versions
    assert _updates(engine) == events


def test_all_re_maps_current_records_too_without_new_versions(engine: Engine, stored: dict[str, str]) -> None:
    remap(engine, V2)

    again = remap(engine, V2, everything=True)

    assert (again.examined, again.updated, again.unchanged, again.failed) == (3, 0, 2, 1)
    assert len(_updates(engine)) == 1


def test_a_dry_run_reports_the_same_but_writes_nothing(engine: Engine, stored: dict[str, str]) -> None:
    hashes, versions = _hashes(engine), _versions(engine)

    summary = remap(engine, V2, dry_run=True)

    assert summary.dry_run
    assert (summary.examined, summary.updated, summary.unchanged, summary.failed) == (3, 1, 1, 1)
    assert [c.external_id for c in summary.changes] == ["C1"]
    assert _hashes(engine) == hashes
    assert _versions(engine) == versions
    assert _updates(engine) == []


def test_small_batches_give_the_same_result(engine: Engine, stored: dict[str, str]) -> None:
    summary = remap(engine, V2, batch_size=2)

    assert (summary.examined, summary.updated, summary.unchanged, summary.failed) == (3, 1, 1, 1)


def test_deleted_refs_and_refs_of_other_mappings_are_not_touched(engine: Engine, stored: dict[str, str]) -> None:
    other = load_mapping(customer_mapping(name="other-customer"))
    with engine.begin() as conn:
        upsert_records(conn, "customer", [
            _source(V1, RAWS["C1"], deleted=True),
            _source(other, {"FNumber": "C9", "FName": "delta", "FTaxNo": "91110000100000000X"}),
        ])

    summary = remap(engine, V2)

    assert (summary.examined, summary.updated, summary.unchanged, summary.failed) == (2, 0, 1, 1)
    assert _hashes(engine)["C9"] == other.hash


def test_a_mapping_without_stored_records_examines_nothing(engine: Engine) -> None:
    summary = remap(engine, V2)

    assert (summary.examined, summary.updated, summary.unchanged, summary.failed) == (0, 0, 0, 0)
