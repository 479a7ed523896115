"""Identity resolution: one customer seen in several systems, and the cases held for review."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from hub.errors import ConflictError
from hub.store import EntityRules, StoreRules, get_record
from hub.store.records import list_identity_matches, merge_history
from hub.store.review import resolve_match
from tests.store.helpers import events, kingdee_customer, upsert, wecom_contact, yonyou_merchant

TAX_ID = "91310000MA1FL0001X"


def test_same_tax_id_in_two_systems_is_one_customer_with_both_refs(engine: Engine) -> None:
    [erp] = upsert(engine, "customer", kingdee_customer("C001", name="华东机械有限公司", tax_id=TAX_ID))

    [wecom] = upsert(engine, "customer", wecom_contact("wo1", name="华东机械", tax_id=" 91310000ma1fl0001x "))

    assert wecom.record_id == erp.record_id
    assert wecom.action == "updated"
    with engine.connect() as conn:
        record = get_record(conn, "customer", erp.record_id or "")
        history = merge_history(conn, erp.record_id or "")
    assert {(r["system"], r["external_id"]) for r in record["refs"]} == {("kingdee", "C001"), ("wecom", "wo1")}
    assert history[0]["rule"] == "tax_id"
    assert history[0]["refs"] == [{"system": "wecom", "object": "external_contact", "external_id": "wo1"}]


@pytest.mark.parametrize(
    ("erp_fields", "wecom_fields", "rule"),
    [
        ({"phones": ["13812345678"]}, {"phones": ["+86 138-1234-5678"]}, "phone"),
        ({"emails": ["Li@HuaDong.cn"]}, {"emails": ["li@huadong.cn"]}, "email"),
    ],
    ids=["phone", "email"],
)
def test_without_tax_id_a_normalised_phone_or_email_joins_the_customer(
    engine: Engine, erp_fields: dict[str, list[str]], wecom_fields: dict[str, list[str]], rule: str
) -> None:
    [erp] = upsert(engine, "customer", kingdee_customer("C001", **erp_fields))

    [wecom] = upsert(engine, "customer", wecom_contact("wo1", name="李经理", **wecom_fields))

    assert wecom.record_id == erp.record_id
    with engine.connect() as conn:
        assert merge_history(conn, erp.record_id or "")[0]["rule"] == rule


def test_a_phone_shared_by_two_customers_is_held_for_review_not_merged(engine: Engine) -> None:
    first, second = upsert(
        engine, "customer",
        kingdee_customer("C001", phones=["13812345678"]),
        yonyou_merchant("Y-9", phones=["13812345678"]),
    )
    assert first.record_id == second.record_id  # ERP and Yonyou agreed: one customer so far
    [other] = upsert(engine, "customer", kingdee_customer("C002", phones=["13900000000"]))
    upsert(engine, "customer", yonyou_merchant("Y-9", phones=["13812345678", "13900000000"]))

    [contact] = upsert(engine, "customer", wecom_contact("wo1", phones=["13900000000"]))

    assert contact.record_id not in (first.record_id, other.record_id)
    assert contact.review is not None
    with engine.connect() as conn:
        [match] = list_identity_matches(conn)
    assert match["record_id"] == contact.record_id
    assert sorted(match["candidate_ids"]) == sorted([first.record_id, other.record_id])
    assert match["rule"] == "phone"
    assert match["status"] == "pending"


def test_conflicting_tax_ids_are_held_for_review(engine: Engine) -> None:
    [erp] = upsert(engine, "customer", kingdee_customer("C001", tax_id=TAX_ID, phones=["13812345678"]))

    [contact] = upsert(engine, "customer", wecom_contact("wo1", tax_id="91440300MA5DXXXX1Y", phones=["13812345678"]))

    assert contact.record_id != erp.record_id
    with engine.connect() as conn:
        [match] = list_identity_matches(conn)
    assert match["candidate_ids"] == [erp.record_id]
    assert "tax ids differ" in match["reason"]


def test_two_records_of_the_same_system_are_never_merged_automatically(engine: Engine) -> None:
    [first] = upsert(engine, "customer", kingdee_customer("C001", tax_id=TAX_ID))

    [duplicate] = upsert(engine, "customer", kingdee_customer("C002", tax_id=TAX_ID))

    assert duplicate.record_id != first.record_id
    assert duplicate.review is not None


def test_records_in_one_batch_match_each_other(engine: Engine) -> None:
    erp, contact = upsert(
        engine, "customer", kingdee_customer("C001", tax_id=TAX_ID), wecom_contact("wo1", tax_id=TAX_ID)
    )

    assert erp.record_id == contact.record_id
    assert erp.action == contact.action == "created"
    assert len(events(engine, "customer.created")) == 1


def test_match_rules_are_configurable(engine: Engine) -> None:
    by_name_only = StoreRules({"customer": EntityRules(match=("name",))})
    [erp] = upsert(engine, "customer", kingdee_customer("C001", name="华东机械（上海）有限公司"), rules=by_name_only)

    [contact] = upsert(engine, "customer", wecom_contact("wo1", name="华东机械(上海)有限公司"), rules=by_name_only)
    [by_phone] = upsert(engine, "customer", wecom_contact("wo2", phones=["13812345678"]), rules=by_name_only)

    assert contact.record_id == erp.record_id
    assert by_phone.record_id != erp.record_id


def test_survivorship_lets_the_configured_system_win_each_field(engine: Engine) -> None:
    rules = StoreRules({"customer": EntityRules(
        match=("tax_id",),
        survivorship={"name": ("kingdee",), "phones": ("wecom",)},
    )})
    upsert(engine, "customer", kingdee_customer("C001", name="华东机械有限公司", tax_id=TAX_ID,
                                                phones=["+862155550000"]), rules=rules)

    [result] = upsert(engine, "customer", wecom_contact("wo1", name="华东 张经理", tax_id=TAX_ID,
                                                       phones=["+8613812345678"]), rules=rules)
    # A later ERP change still does not take phones back from WeCom.
    upsert(engine, "customer", kingdee_customer("C001", name="华东机械有限公司", tax_id=TAX_ID,
                                                phones=["+862155551111"]), rules=rules)

    with engine.connect() as conn:
        record = get_record(conn, "customer", result.record_id or "")
    assert record["name"] == "华东机械有限公司"
    assert record["phones"] == ["+8613812345678"]


def test_without_a_rule_the_most_recent_source_wins_and_list_fields_are_combined(engine: Engine) -> None:
    upsert(engine, "customer", kingdee_customer("C001", name="华东机械", tax_id=TAX_ID, tags=["ERP"]))

    [result] = upsert(engine, "customer", wecom_contact("wo1", name="华东机械 张三", tax_id=TAX_ID, tags=["VIP"]))

    with engine.connect() as conn:
        record = get_record(conn, "customer", result.record_id or "")
    assert record["name"] == "华东机械 张三"
    assert sorted(record["tags"]) == ["ERP", "VIP"]


def test_merging_a_held_match_moves_refs_and_keeps_history(engine: Engine) -> None:
    [erp] = upsert(engine, "customer", kingdee_customer("C001", tax_id=TAX_ID, phones=["13812345678"]))
    [contact] = upsert(engine, "customer", wecom_contact("wo1", tax_id="91440300MA5DXXXX1Y", phones=["13812345678"],
                                                        tags=["VIP"]))

    with engine.begin() as conn:
        resolved = resolve_match(conn, contact.review or "", "merge", actor="admin-key")

    assert resolved["status"] == "merged"
    with engine.connect() as conn:
        survivor = get_record(conn, "customer", erp.record_id or "")
        merged = get_record(conn, "customer", contact.record_id or "")
        history = merge_history(conn, erp.record_id or "")
    assert {r["external_id"] for r in survivor["refs"]} == {"C001", "wo1"}
    assert survivor["tags"] == ["VIP"]
    assert merged["merged_into"] == erp.record_id
    assert merged["deleted_at"] is not None
    assert history[-1]["merged_id"] == contact.record_id
    assert history[-1]["actor"] == "admin-key"
    assert [e["data"]["id"] for e in events(engine, "customer.merged")] == [contact.record_id]
    # Later updates from WeCom now land on the survivor.
    [later] = upsert(engine, "customer", wecom_contact("wo1", tax_id="91440300MA5DXXXX1Y", phones=["13812345678"],
                                                      tags=["VIP", "重点"]))
    assert later.record_id == erp.record_id


def test_a_rejected_match_stays_apart_and_cannot_be_resolved_twice(engine: Engine) -> None:
    upsert(engine, "customer", kingdee_customer("C001", tax_id=TAX_ID))
    [duplicate] = upsert(engine, "customer", kingdee_customer("C002", tax_id=TAX_ID))

    with engine.begin() as conn:
        resolve_match(conn, duplicate.review or "", "reject", actor="ops")
    with engine.begin() as conn, pytest.raises(ConflictError, match="already rejected"):
        resolve_match(conn, duplicate.review or "", "merge", actor="ops")

    with engine.connect() as conn:
        assert list_identity_matches(conn) == []
        assert list_identity_matches(conn, status="rejected")[0]["resolved_by"] == "ops"
