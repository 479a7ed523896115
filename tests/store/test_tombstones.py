"""Records deleted at the source become tombstones, and can come back."""

from __future__ import annotations

from sqlalchemy import Engine

from hub.store import SourceRecord, get_record, list_records
from tests.store.helpers import events, kingdee_customer, upsert, wecom_contact


def deleted(record: SourceRecord) -> SourceRecord:
    return SourceRecord(record.system, record.object, record.external_id, deleted=True)


def test_deleting_the_only_source_tombstones_the_record(engine: Engine) -> None:
    [created] = upsert(engine, "customer", kingdee_customer("C001", name="华东机械"))

    [result] = upsert(engine, "customer", deleted(kingdee_customer("C001")))

    assert result.action == "deleted"
    assert result.version == 2
    assert result.events == ["customer.deleted"]
    with engine.connect() as conn:
        record = get_record(conn, "customer", created.record_id or "")
        visible = list_records(conn, "customer").items
        with_deleted = list_records(conn, "customer", include_deleted=True).items
    assert record["deleted_at"] is not None
    assert record["name"] == "华东机械"  # the last known values are kept
    assert visible == []
    assert [r["id"] for r in with_deleted] == [created.record_id]
    [event] = events(engine, "customer.deleted")
    assert event["data"]["id"] == created.record_id


def test_deleting_twice_or_deleting_an_unknown_record_changes_nothing(engine: Engine) -> None:
    upsert(engine, "customer", kingdee_customer("C001"))
    upsert(engine, "customer", deleted(kingdee_customer("C001")))

    again, unknown = upsert(engine, "customer", deleted(kingdee_customer("C001")), deleted(kingdee_customer("C404")))

    assert again.action == "unchanged"
    assert unknown.action == "unchanged"
    assert unknown.record_id is None
    assert len(events(engine, "customer.deleted")) == 1


def test_a_tombstoned_record_that_reappears_is_restored_with_a_new_version(engine: Engine) -> None:
    upsert(engine, "customer", kingdee_customer("C001", name="华东机械"))
    upsert(engine, "customer", deleted(kingdee_customer("C001")))

    [result] = upsert(engine, "customer", kingdee_customer("C001", name="华东机械"))

    assert result.action == "updated"
    assert result.version == 3
    assert result.changes["deleted_at"]["new"] is None
    with engine.connect() as conn:
        assert get_record(conn, "customer", result.record_id or "")["deleted_at"] is None


def test_deleting_one_of_two_sources_keeps_the_record_with_the_other_sources_values(engine: Engine) -> None:
    upsert(engine, "customer", kingdee_customer("C001", name="华东机械", tax_id="91310000MA1FL0001X"))
    [joined] = upsert(engine, "customer", wecom_contact("wo1", tax_id="91310000MA1FL0001X", phones=["+8613812345678"]))

    [result] = upsert(engine, "customer", deleted(wecom_contact("wo1")))

    assert result.action == "updated"
    assert result.changes["phones"] == {"old": ["+8613812345678"], "new": None}
    with engine.connect() as conn:
        record = get_record(conn, "customer", joined.record_id or "")
    assert record["deleted_at"] is None
    assert record["name"] == "华东机械"
    assert record["refs"][1]["deleted_at"] is not None
