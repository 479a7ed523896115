"""Full syncs tombstone what the source no longer lists, unless that is more than the deletion guard allows."""

from __future__ import annotations

from tests.sync.conftest import HUB_YAML, FakeHub


def _ten_contacts(fake: FakeHub) -> None:
    for number in range(1, 11):
        fake.source.put("contacts", f"C{number:02}", name=f"客户{number:02}", level="a")


def test_a_full_sync_tombstones_the_records_the_source_no_longer_lists(fake: FakeHub) -> None:
    _ten_contacts(fake)
    fake.sync(full=True)
    fake.source.delete("contacts", "C03", "C07")

    outcome = fake.sync(full=True)

    assert outcome.status == "succeeded"
    assert outcome.counts.deleted == 2
    assert fake.run(outcome.run_id)["counts"]["deleted"] == 2
    assert "客户03" not in fake.live_customers()
    assert len(fake.live_customers()) == 8
    assert fake.count("events", "WHERE type = 'customer.deleted'") == 2
    assert fake.count("record_refs", "WHERE deleted_at IS NOT NULL") == 2


def test_an_incremental_sync_never_deletes(fake: FakeHub) -> None:
    _ten_contacts(fake)
    fake.sync(full=True)
    fake.source.delete("contacts", "C03")

    outcome = fake.sync()

    assert outcome.counts.deleted == 0
    assert len(fake.live_customers()) == 10


def test_deleting_more_than_the_guard_needs_confirmation_and_deletes_nothing(fake: FakeHub) -> None:
    _ten_contacts(fake)
    fake.sync(full=True)
    fake.source.delete("contacts", "C01", "C02", "C03")

    outcome = fake.sync(full=True)

    assert outcome.status == "needs_confirmation"
    assert outcome.counts.deleted == 0
    assert len(fake.live_customers()) == 10
    run = fake.run(outcome.run_id)
    assert run["status"] == "needs_confirmation"
    deletions = run["details"]["deletions"]
    assert (deletions["live"], deletions["missing"], deletions["share"], deletions["guard"]) == (10, 3, 0.3, 0.2)
    assert deletions["sample"] == ["C01", "C02", "C03"]
    assert "--confirm-deletions" in run["details"]["message"]


def test_a_confirmed_full_sync_deletes_beyond_the_guard(fake: FakeHub) -> None:
    _ten_contacts(fake)
    fake.sync(full=True)
    fake.source.delete("contacts", "C01", "C02", "C03")
    fake.sync(full=True)

    outcome = fake.sync(full=True, confirm=True)

    assert outcome.status == "succeeded"
    assert outcome.counts.deleted == 3
    assert len(fake.live_customers()) == 7
    assert fake.run(outcome.run_id)["confirm_deletions"] is True


def test_an_empty_full_read_is_held_back_by_the_guard(fake: FakeHub) -> None:
    _ten_contacts(fake)
    fake.sync(full=True)
    fake.source.delete("contacts", *[f"C{n:02}" for n in range(1, 11)])

    outcome = fake.sync(full=True)

    assert outcome.status == "needs_confirmation"
    assert len(fake.live_customers()) == 10


def test_the_guard_is_set_in_hub_yaml(fake: FakeHub) -> None:
    fake.write_config(HUB_YAML.replace("delete_guard: 0.2", "delete_guard: 0.5"))
    _ten_contacts(fake)
    fake.sync(full=True)
    fake.source.delete("contacts", "C01", "C02", "C03")

    outcome = fake.sync(full=True)

    assert outcome.status == "succeeded"
    assert outcome.counts.deleted == 3


def test_records_read_but_quarantined_are_not_deleted(fake: FakeHub) -> None:
    _ten_contacts(fake)
    fake.sync(full=True)
    fake.source.put("contacts", "C04", alias="改名了", level="a")  # now fails the mapping

    outcome = fake.sync(full=True)

    assert outcome.counts.quarantined == 1
    assert outcome.counts.deleted == 0
    assert len(fake.live_customers()) == 10


def test_records_without_an_id_make_deletion_detection_stand_down(fake: FakeHub) -> None:
    _ten_contacts(fake)
    fake.sync(full=True)
    fake.source.delete("contacts", "C01")
    fake.source.put("contacts", "", name="无编号", level="a")

    outcome = fake.sync(full=True)

    assert outcome.status == "succeeded"
    assert outcome.counts.deleted == 0
    assert "no id" in outcome.details["deletions"]["skipped"]  # type: ignore[index]
    assert len(fake.live_customers()) == 10


def test_a_deleted_record_that_comes_back_is_revived(fake: FakeHub) -> None:
    _ten_contacts(fake)
    fake.sync(full=True)
    record = fake.source.streams["contacts"]["C05"]
    fake.source.delete("contacts", "C05")
    fake.sync(full=True)

    fake.source.put("contacts", "C05", name=record["name"], level="a")
    fake.sync()

    assert len(fake.live_customers()) == 10
