"""Bad records are quarantined with the raw record and the reason while the rest lands; retried after a fix."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from hub.errors import ConflictError, NotFoundError
from hub.sync.quarantine import discard, get_entry, list_entries
from hub.sync.retry import retry_entries
from tests.sync.conftest import FIXED_CONTACT_MAPPING, FakeHub


def _pending(engine: Engine, connector: str | None = None) -> list[dict]:
    with engine.connect() as conn:
        return list_entries(conn, connector=connector)[0]


def _with_one_bad_contact(fake: FakeHub) -> None:
    fake.source.put("contacts", "C1", name="华为", level="a")
    fake.source.put("contacts", "C2", alias="腾讯", level="a")  # no name: the mapping refuses it
    fake.source.put("contacts", "C3", name="阿里", level="z")  # z is not in the mapping's table
    fake.source.put("contacts", "C4", name="美团", level="b")


def test_bad_records_are_quarantined_while_the_rest_lands(fake: FakeHub) -> None:
    _with_one_bad_contact(fake)

    outcome = fake.sync()

    assert outcome.status == "succeeded"
    assert outcome.counts.created == 2
    assert outcome.counts.quarantined == 2
    assert fake.live_customers() == ["华为", "美团"]
    entries = {e["external_id"]: e for e in _pending(fake.engine)}
    assert set(entries) == {"C2", "C3"}
    missing_name = entries["C2"]
    assert missing_name["raw"] == {"id": "C2", "alias": "腾讯", "level": "a", "updated": 2}
    assert missing_name["error"]["kind"] == "mapping"
    assert missing_name["error"]["field"] == "name"
    assert missing_name["mapping"] == "fake-contact"
    assert missing_name["connector"] == "fk"
    assert missing_name["stream"] == "contacts"
    assert missing_name["entity"] == "customer"
    assert missing_name["run_id"] == outcome.run_id
    not_in_table = entries["C3"]["error"]
    assert not_in_table["field"] == "status"
    assert not_in_table["value"] == "z"
    assert "z" in not_in_table["reason"]


def test_the_cursor_moves_past_quarantined_records(fake: FakeHub) -> None:
    _with_one_bad_contact(fake)
    fake.sync()

    fake.sync()

    assert fake.source.reads[-1] == ("contacts", False, 4)


def test_a_record_failing_again_updates_its_entry_instead_of_adding_one(fake: FakeHub) -> None:
    _with_one_bad_contact(fake)
    fake.sync()

    fake.sync(full=True)

    entries = _pending(fake.engine)
    assert len(entries) == 2
    assert {e["occurrences"] for e in entries} == {2}


def test_retry_after_a_mapping_fix_lands_the_record_and_marks_it_retried(fake: FakeHub) -> None:
    _with_one_bad_contact(fake)
    fake.sync()
    [entry] = [e for e in _pending(fake.engine) if e["external_id"] == "C2"]
    fake.write_mapping("fake-contact", FIXED_CONTACT_MAPPING)

    [outcome] = retry_entries(fake.engine, fake.workspace(), [entry["id"]], actor="alice")

    assert outcome.ok
    assert outcome.action == "created"
    assert "腾讯" in fake.live_customers()
    with fake.engine.connect() as conn:
        settled = get_entry(conn, entry["id"])
    assert settled["status"] == "retried"
    assert settled["resolved_by"] == "alice"
    assert settled["resolved_at"] is not None


def test_a_retry_that_fails_again_stays_pending_with_the_reason(fake: FakeHub) -> None:
    _with_one_bad_contact(fake)
    fake.sync()
    [entry] = [e for e in _pending(fake.engine) if e["external_id"] == "C3"]

    [outcome] = retry_entries(fake.engine, fake.workspace(), [entry["id"]], actor="alice")

    assert not outcome.ok
    assert outcome.status == "pending"
    assert outcome.error is not None
    assert outcome.error["field"] == "status"
    with fake.engine.connect() as conn:
        assert get_entry(conn, entry["id"])["occurrences"] == 2


def test_a_later_sync_that_lands_the_record_settles_its_entry(fake: FakeHub) -> None:
    _with_one_bad_contact(fake)
    fake.sync()
    fake.source.put("contacts", "C2", name="腾讯", level="a")  # fixed at the source

    fake.sync()

    assert [e["external_id"] for e in _pending(fake.engine)] == ["C3"]


def test_discard_gives_up_on_a_record_once(fake: FakeHub) -> None:
    _with_one_bad_contact(fake)
    fake.sync()
    entry = _pending(fake.engine)[0]

    with fake.engine.begin() as conn:
        discarded = discard(conn, entry["id"], actor="alice")
    assert discarded["status"] == "discarded"
    with pytest.raises(ConflictError), fake.engine.begin() as conn:
        discard(conn, entry["id"], actor="alice")
    with pytest.raises(ConflictError):
        retry_entries(fake.engine, fake.workspace(), [entry["id"]], actor="alice")


def test_an_unknown_entry_is_not_found(fake_sqlite: FakeHub) -> None:
    with pytest.raises(NotFoundError):
        retry_entries(fake_sqlite.engine, fake_sqlite.workspace(), ["qr_nope"], actor="alice")


def test_personal_values_in_errors_are_masked_but_the_raw_record_is_kept(fake_sqlite: FakeHub) -> None:
    fake_sqlite.write_mapping("fake-contact", """\
version: 1
name: fake-contact
system: fake
object: contacts
entity: customer
id: id
fields:
  name: name
  phones: {from: phone, pipe: [phone, {split: ","}]}
""")
    fake_sqlite.source.put("contacts", "C1", name="华为", phone="13812345678 / 13987654321")

    fake_sqlite.sync()

    [entry] = _pending(fake_sqlite.engine)
    assert "13812345678" not in str(entry["error"])
    assert "138****5678" in entry["error"]["value"]
    assert entry["raw"]["phone"] == "13812345678 / 13987654321"


def test_fields_the_canonical_model_refuses_are_quarantined_as_record_errors(fake_sqlite: FakeHub) -> None:
    fake_sqlite.write_mapping("fake-contact", CONTACT_WITH_TAGS)
    fake_sqlite.source.put("contacts", "C1", name="华为", tags=["vip"])
    fake_sqlite.source.put("contacts", "C2", name="腾讯", tags={"vip": True})

    outcome = fake_sqlite.sync()

    assert (outcome.counts.created, outcome.counts.quarantined) == (1, 1)
    [entry] = _pending(fake_sqlite.engine)
    assert entry["external_id"] == "C2"
    assert entry["error"]["kind"] == "record"
    assert entry["error"]["field"] == "tags"
    assert entry["error"]["reason"]


CONTACT_WITH_TAGS = """\
version: 1
name: fake-contact
system: fake
object: contacts
entity: customer
id: id
fields:
  name: name
  tags: {from: tags, required: false}
"""


def test_a_page_that_quarantines_one_record_still_settles_another_that_now_lands(fake: FakeHub) -> None:
    fake.source.put("contacts", "C1", alias="华为", level="a")
    fake.sync()
    fake.source.put("contacts", "C1", name="华为", level="a")  # fixed
    fake.source.put("contacts", "C2", alias="腾讯", level="a")  # broken, in the same page

    fake.sync()

    assert [e["external_id"] for e in _pending(fake.engine)] == ["C2"]
