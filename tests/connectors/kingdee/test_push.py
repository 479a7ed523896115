"""Pushing production orders and customers: Save (+ Submit/Audit), idempotent under every kind of retry."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from connectors.erp.kingdee import KingdeeConnector
from connectors.erp.kingdee.simulator import KingdeeSimulator
from hub.errors import ConflictError
from hub.sdk import PushResult, VendorRecordError

Connect = Callable[..., KingdeeConnector]


def mo(material: str = "01.01.0003", qty: float = 12) -> dict[str, Any]:
    """A production order as the kingdee-production-order mapping reverses it."""
    return {"FBillType": {"FNumber": "SCDD01_SYS"},
            "FTreeEntity": [{"FMaterialId": {"FNumber": material}, "FQty": qty,
                             "FPlanStartDate": "2024-06-01T08:00:00+08:00", "FSaleOrderNo": "XSDD000001"}]}


def push(kd: KingdeeConnector, action: str, record: dict[str, Any], key: str) -> PushResult:
    return asyncio.run(kd.push(action, record, idempotency_key=key))


def saved(sim: KingdeeSimulator, key: str, form: str = "PRD_MO") -> list[dict[str, Any]]:
    return sim.documents(form, FDescription=f"hub:{key}")


def test_a_push_saves_one_production_order_carrying_the_key(connect: Connect, sim: KingdeeSimulator) -> None:
    result = push(connect(), "PRD_MO", mo(), "ord_1/mo")

    [document] = saved(sim, "ord_1/mo")
    assert result.created
    assert result.external_id == document["FBillNo"]
    assert document["FTreeEntity"][0]["FMaterialId.FNumber"] == "01.01.0003"
    assert document["FDocumentStatus"] == "A"


def test_pushing_again_with_the_same_key_finds_the_document(connect: Connect, sim: KingdeeSimulator) -> None:
    kd = connect()
    first = push(kd, "PRD_MO", mo(), "ord_2/mo")
    second = push(connect(), "PRD_MO", mo(), "ord_2/mo")  # e.g. another worker after a crash

    assert (second.external_id, second.created) == (first.external_id, False)
    assert len(saved(sim, "ord_2/mo")) == 1


def test_a_lost_save_answer_is_looked_up_instead_of_saved_again(connect: Connect, sim: KingdeeSimulator) -> None:
    sim.knobs.lose_save_response_next = 1  # Kingdee saves, the answer is a 504

    result = push(connect(), "PRD_MO", mo(), "ord_3/mo")

    assert len(saved(sim, "ord_3/mo")) == 1
    assert result.external_id == saved(sim, "ord_3/mo")[0]["FBillNo"]
    assert sim.by_service["Save"] == 1


class TimeoutAfterSave(httpx.AsyncBaseTransport):
    """Forwards to the simulator, then pretends the answer to the first Save never came."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.timeouts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith(".Save.common.kdsvc") and self.timeouts == 0:
            self.timeouts += 1
            await response.aread()
            raise httpx.ReadTimeout("timed out waiting for K3 Cloud", request=request)
        return response


def test_a_timeout_after_kingdee_created_the_document_does_not_create_a_second(
    connect: Connect, sim: KingdeeSimulator
) -> None:
    transport = TimeoutAfterSave(httpx.ASGITransport(app=sim.app))

    result = push(connect(transport=transport), "PRD_MO", mo(), "ord_4/mo")

    assert transport.timeouts == 1
    assert len(saved(sim, "ord_4/mo")) == 1
    assert result.external_id == saved(sim, "ord_4/mo")[0]["FBillNo"]
    assert result.created  # this push's own Save made it


class RefuseFirstSave(httpx.AsyncBaseTransport):
    """A gateway that fails the first Save before it reaches Kingdee (nothing is saved)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(".Save.common.kdsvc") and self.refused == 0:
            self.refused += 1
            return httpx.Response(503, text="Service Unavailable")
        return await self.inner.handle_async_request(request)


def test_a_save_that_never_happened_is_sent_again(connect: Connect, sim: KingdeeSimulator) -> None:
    transport = RefuseFirstSave(httpx.ASGITransport(app=sim.app))

    result = push(connect(transport=transport), "PRD_MO", mo(), "ord_5/mo")

    assert transport.refused == 1
    assert result.created
    assert len(saved(sim, "ord_5/mo")) == 1


def test_after_save_audit_submits_and_audits(connect: Connect, sim: KingdeeSimulator) -> None:
    push(connect(after_save="audit"), "PRD_MO", mo(), "ord_6/mo")

    assert saved(sim, "ord_6/mo")[0]["FDocumentStatus"] == "C"


def test_a_retry_finishes_the_audit_of_a_document_saved_earlier(connect: Connect, sim: KingdeeSimulator) -> None:
    push(connect(), "PRD_MO", mo(), "ord_7/mo")  # saved, not submitted (say, the worker died)

    result = push(connect(after_save="audit"), "PRD_MO", mo(), "ord_7/mo")

    assert not result.created
    assert saved(sim, "ord_7/mo")[0]["FDocumentStatus"] == "C"


def test_a_refused_save_is_a_record_error_naming_the_field(connect: Connect, sim: KingdeeSimulator) -> None:
    with pytest.raises(VendorRecordError, match="FMaterialId"):
        push(connect(), "PRD_MO", mo(material="99.99.9999"), "ord_8/mo")
    assert saved(sim, "ord_8/mo") == []


def test_the_organisation_comes_from_org_num(connect: Connect, sim: KingdeeSimulator) -> None:
    push(connect(org_num="200"), "PRD_MO", mo(), "ord_9/mo")

    assert saved(sim, "ord_9/mo")[0]["FPrdOrgId.FNumber"] == "200"


def test_a_customer_push_is_idempotent_too(connect: Connect, sim: KingdeeSimulator) -> None:
    record = {"FName": "南通海睿机电设备有限公司", "FSOCIALCRECODE": "91320600MA1MXY8L6B", "FTEL": "13912345678"}

    first = push(connect(), "BD_Customer", record, "cus_1")
    second = push(connect(), "BD_Customer", record, "cus_1")

    assert first.created
    assert not second.created
    assert [c["FName"] for c in saved(sim, "cus_1", "BD_Customer")] == ["南通海睿机电设备有限公司"]


def test_a_push_with_an_existing_id_updates_that_document(connect: Connect, sim: KingdeeSimulator) -> None:
    kd = connect()
    push(kd, "BD_Customer", {"FName": "旧名"}, "cus_2")
    [customer] = saved(sim, "cus_2", "BD_Customer")

    result = push(kd, "BD_Customer", {"FCUSTID": customer["FCUSTID"], "FName": "新名"}, "cus_2")

    assert not result.created
    assert [c["FName"] for c in saved(sim, "cus_2", "BD_Customer")] == ["新名"]


def test_an_unknown_action_is_refused(connect: Connect) -> None:
    with pytest.raises(ConflictError, match="no push action 'SAL_SaleOrder'"):
        push(connect(), "SAL_SaleOrder", {}, "k")
