"""Pushing 应收单 (AR_receivable): Save (+ Submit/Audit), idempotent, refused without a customer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from connectors.erp.kingdee import KingdeeConnector
from connectors.erp.kingdee.simulator import KingdeeSimulator
from hub.sdk import PushResult, VendorRecordError

Connect = Callable[..., KingdeeConnector]


def receivable(customer: str | None = "CUST00001", **line: Any) -> dict[str, Any]:
    """A contract's first instalment as the signed-contract-to-project flow builds it."""
    record: dict[str, Any] = {
        "FDATE": "2026-11-25",
        "FCURRENCYID": {"FNumber": "PRE001"},
        "FEntityDetail": [{"FPriceQty": 1, "FTaxPrice": 30000.0, **line}],
        "FALLAMOUNTFOR": 30000.0,
    }
    if customer is not None:
        record["FCUSTOMERID"] = {"FNumber": customer}
    return record


def push(kd: KingdeeConnector, record: dict[str, Any], key: str) -> PushResult:
    return asyncio.run(kd.push("AR_receivable", record, idempotency_key=key))


def saved(sim: KingdeeSimulator, key: str) -> list[dict[str, Any]]:
    return sim.documents("AR_receivable", FDescription=f"hub:{key}")


def test_a_push_saves_one_receivable_carrying_the_key(connect: Connect, sim: KingdeeSimulator) -> None:
    result = push(connect(), receivable(), "ct_1/ar1")

    [document] = saved(sim, "ct_1/ar1")
    assert result.created
    assert result.external_id == document["FBillNo"]
    assert document["FBillNo"].startswith("AR")
    assert document["FDocumentStatus"] == "A"
    assert (document["FDATE"], document["FCUSTOMERID.FNumber"], document["FCURRENCYID.FNumber"]) == (
        "2026-11-25T00:00:00", "CUST00001", "PRE001")
    assert document["FALLAMOUNTFOR"] == 30000.0
    [line] = document["FEntityDetail"]
    assert (line["FMATERIALID.FNumber"], line["FPriceQty"], line["FTaxPrice"], line["FALLAMOUNTFOR_D"]) == (
        None, 1, 30000.0, 30000.0)


def test_pushing_again_with_the_same_key_finds_the_receivable(connect: Connect, sim: KingdeeSimulator) -> None:
    first = push(connect(), receivable(), "ct_2/ar1")
    second = push(connect(), receivable(), "ct_2/ar1")  # e.g. another worker after a crash

    assert (second.external_id, second.created) == (first.external_id, False)
    assert len(saved(sim, "ct_2/ar1")) == 1
    assert sim.by_service["Save"] == 1


def test_a_lost_save_answer_does_not_create_a_second_receivable(connect: Connect, sim: KingdeeSimulator) -> None:
    sim.knobs.lose_save_response_next = 1  # Kingdee saves, the answer is a 504

    result = push(connect(), receivable(), "ct_3/ar1")

    [document] = saved(sim, "ct_3/ar1")
    assert result.external_id == document["FBillNo"]
    assert sim.by_service["Save"] == 1


def test_after_save_audit_submits_and_audits_the_receivable(connect: Connect, sim: KingdeeSimulator) -> None:
    push(connect(after_save="audit"), receivable(), "ct_4/ar1")

    assert saved(sim, "ct_4/ar1")[0]["FDocumentStatus"] == "C"


def test_org_num_fills_the_settlement_payment_and_sales_organisations(
    connect: Connect, sim: KingdeeSimulator
) -> None:
    push(connect(org_num="200"), receivable(), "ct_5/ar1")

    [document] = saved(sim, "ct_5/ar1")
    assert [document[f"{key}.FNumber"] for key in ("FSETTLEORGID", "FPAYORGID", "FSALEORGID")] == ["200"] * 3


def test_the_total_is_derived_from_the_lines_as_kingdee_does(connect: Connect, sim: KingdeeSimulator) -> None:
    record = receivable(FPriceQty="2", FTaxPrice="12500.50", FMATERIALID={"FNumber": "01.01.0003"})

    push(connect(), {**record, "FALLAMOUNTFOR": 1.0}, "ct_6/ar1")

    [document] = saved(sim, "ct_6/ar1")
    assert document["FALLAMOUNTFOR"] == 25001.0
    assert document["FEntityDetail"][0]["FMATERIALID.FNumber"] == "01.01.0003"


@pytest.mark.parametrize(("record", "field"), [
    (receivable(customer=None), "FCUSTOMERID"),
    (receivable(customer="CUST99999"), "FCUSTOMERID"),
    ({**receivable(), "FEntityDetail": []}, "FEntityDetail"),
    (receivable(FPriceQty=0), "FPriceQty"),
    (receivable(FMATERIALID={"FNumber": "99.99.9999"}), "FMATERIALID"),
], ids=["no-customer", "unknown-customer", "no-lines", "zero-qty", "unknown-material"])
def test_a_refused_receivable_is_a_record_error_naming_the_field(
    connect: Connect, sim: KingdeeSimulator, record: dict[str, Any], field: str
) -> None:
    with pytest.raises(VendorRecordError, match=field):
        push(connect(), record, "ct_7/ar1")
    assert saved(sim, "ct_7/ar1") == []


def test_the_saved_receivable_can_be_queried_and_viewed(connect: Connect, sim: KingdeeSimulator) -> None:
    kd = connect()
    number = push(kd, receivable(), "ct_8/ar1").external_id

    rows = asyncio.run(kd.client.query(
        "AR_receivable", ("FBillNo", "FCUSTOMERID.FNumber", "FALLAMOUNTFOR", "FEntityDetail_FEntryID"),
        filter_string="FDATE >= '2026-11-01' AND FDescription = 'hub:ct_8/ar1'"))
    viewed = asyncio.run(kd.client.view("AR_receivable", number))

    assert [row[:3] for row in rows] == [[number, "CUST00001", 30000.0]]
    assert viewed["FBillNo"] == number
    assert viewed["FEntityDetail"][0]["FTaxPrice"] == 30000.0
