"""The shipped mapping dingtalk-contract: DingTalk's status and result become the contract's status."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.dingtalk.streams import instance_record
from hub.mapping import load_mapping
from hub.mapping.registry import load_registry, shipped_mappings_dir

MAPPING = load_mapping(shipped_mappings_dir() / "dingtalk" / "contract.yaml")


def record(status: str, result: str, finish: str | None = "2024-05-07T09:01Z") -> dict[str, Any]:
    detail = {"title": "王芳提交的合同审批", "status": status, "result": result, "businessId": "202405061020000001",
              "createTime": "2024-05-06T02:20Z", "finishTime": finish,
              "formComponentValues": [{"name": "合同编号", "value": "HT-2024-0001"},
                                      {"name": "合同名称", "value": "设备维保服务"},
                                      {"name": "客户名称", "value": "苏州恒信精密机械有限公司"},
                                      {"name": "合同金额", "value": "120,000.50"}]}
    return instance_record("inst-1", detail)


@pytest.mark.parametrize(("status", "result", "finish", "expected"), [
    ("COMPLETED", "agree", "2024-05-07T09:01Z", "signed"),
    ("COMPLETED", "refuse", "2024-05-07T09:01Z", "void"),
    ("TERMINATED", "", "2024-05-07T09:01Z", "void"),
    ("CANCELED", "", None, "void"),
    ("RUNNING", "", None, "approving"),
    ("NEW", "", None, "approving"),
], ids=["approved", "refused", "withdrawn", "canceled", "running", "new"])
def test_status_and_result_become_the_contract_status(status: str, result: str, finish: str | None,
                                                      expected: str) -> None:
    fields = MAPPING.apply(record(status, result, finish))

    assert fields["status"] == expected
    assert (fields["signed_at"] is not None) == (expected == "signed")


def test_an_approved_contract_maps_number_amount_signing_time_and_note() -> None:
    fields = MAPPING.apply(record("COMPLETED", "agree"))

    assert fields["number"] == "HT-2024-0001"
    assert str(fields["amount"]) == "120000.50"
    assert fields["signed_at"].isoformat() == "2024-05-07T09:01:00+00:00"
    assert fields["note"] == "苏州恒信精密机械有限公司：设备维保服务（王芳提交的合同审批）"
    assert MAPPING.record_id(record("COMPLETED", "agree")) == "inst-1"


def test_without_a_contract_number_the_approval_number_is_used() -> None:
    raw = record("RUNNING", "")
    raw["form"].pop("合同编号")

    assert MAPPING.apply(raw)["number"] == "202405061020000001"


def test_the_shipped_mapping_loads_with_the_others() -> None:
    registry = load_registry(None, shipped_dir=shipped_mappings_dir(), partial=True)

    assert registry.get("dingtalk-contract").mapping.object == "process_instance"
