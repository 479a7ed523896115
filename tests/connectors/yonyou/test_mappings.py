"""The shipped Yonyou mappings load and turn every simulator record into a valid canonical record."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.erp.yonyou import YonyouConnector
from connectors.erp.yonyou.simulator import SimulatorState
from hub.canonical.models import CustomerFields, OrderFields
from hub.mapping import load_mapping
from hub.mapping.registry import load_registry, shipped_mappings_dir
from tests.connectors.yonyou.conftest import read_all

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings" / "yonyou"
CUSTOMER = load_mapping(MAPPINGS / "customer.yaml")
ORDER = load_mapping(MAPPINGS / "sales-order.yaml")


class CustomersInHub:
    """A crosswalk where every Yonyou customer id is known as ``cus_<id>``."""

    def to_canonical(self, system: str, entity: str, external_ids: Collection[str]) -> dict[str, str]:
        assert (system, entity) == ("yonyou", "customer")
        return {i: f"cus_{i}" for i in external_ids}

    def to_external(self, system: str, entity: str, record_ids: Collection[str]) -> dict[str, str]:
        return {i: i.removeprefix("cus_") for i in record_ids}


def test_the_shipped_registry_holds_both_yonyou_mappings() -> None:
    registry = load_registry(None, shipped_dir=shipped_mappings_dir(), partial=True)

    assert registry.get("yonyou-customer").mapping.object == "merchant"
    assert registry.get("yonyou-sales-order").mapping.object == "voucherorder"


def test_the_mappings_name_the_connectors_streams() -> None:
    for mapping in (CUSTOMER, ORDER):
        spec = YonyouConnector.streams[mapping.object]
        assert (mapping.system, mapping.entity, spec.cursor_field) == ("yonyou", spec.entity, "pubts")


def test_every_simulator_customer_maps_to_a_valid_canonical_customer(sim: SimulatorState) -> None:
    results = CUSTOMER.apply_many(list(sim.customers.values()))

    assert [r.error for r in results if not r.ok] == []
    for result in results:
        CustomerFields.model_validate(result.fields)


def test_a_customer_maps_name_tax_id_phone_address_and_status(sim: SimulatorState) -> None:
    raw = {**sim.customers["1600000000002048"], "name": {"zh_CN": " 苏州精工新材料有限公司 "},
           "creditCode": "913205714821993574", "contactMobile": "+86-188-5797-5432",
           "address": "江苏省苏州市工业园区苏虹中路129号", "customerClass_name": "直销客户", "stopstatus": False}

    fields = CUSTOMER.apply(raw)

    assert fields == {"name": "苏州精工新材料有限公司", "tax_id": "913205714821993574", "phones": ["+8618857975432"],
                      "address": "江苏省苏州市工业园区苏虹中路129号", "tags": ["直销客户"], "status": "active"}
    assert CUSTOMER.record_id(raw) == "1600000000002048"
    assert CUSTOMER.cursor(raw) == raw["pubts"]


def test_a_stopped_customer_is_disabled(sim: SimulatorState) -> None:
    raw = {**next(iter(sim.customers.values())), "stopstatus": True}

    assert CUSTOMER.apply(raw)["status"] == "disabled"


def test_every_simulator_order_with_lines_maps_to_a_valid_canonical_order(
        connect: Callable[..., YonyouConnector], sim: SimulatorState) -> None:
    pages = read_all(connect(), "voucherorder", full=True)  # list headers + lines from the detail
    raws = [record for page in pages for record in page.records]

    results = ORDER.apply_many(raws, CustomersInHub())

    assert [r.error for r in results if not r.ok] == []
    for result in results:
        OrderFields.model_validate(result.fields)


def test_an_order_maps_status_money_time_customer_and_lines(sim: SimulatorState) -> None:
    raw = next(o for o in sim.orders.values() if len(o["orderDetails"]) > 1)

    fields = ORDER.apply(raw, CustomersInHub())

    assert fields["number"] == raw["code"]
    assert fields["customer_id"] == f"cus_{raw['agentId']}"
    assert fields["currency"] == "CNY"
    assert fields["total"] == Decimal(str(raw["payMoney"])).quantize(Decimal("0.01"))
    assert fields["ordered_at"] == datetime.strptime(raw["vouchdate"], "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=ZoneInfo("Asia/Shanghai"))  # Beijing midnight, 16:00 UTC the day before
    assert [line["sku"] for line in fields["lines"]] == [d["realProductCode"] for d in raw["orderDetails"]]
    assert sum(line["amount"] for line in fields["lines"]) == fields["total"]


@pytest.mark.parametrize(("vendor", "canonical"), [
    ("CONFIRMORDER", "draft"), ("DELIVERGOODS", "confirmed"), ("DELIVERY_PART", "shipped"),
    ("DELIVERY_TAKE_PART", "shipped"), ("TAKEDELIVERY", "shipped"), ("ENDORDER", "completed"),
    ("OPPOSE", "cancelled"), ("SOMETHING_NEW", "draft"),
], ids=lambda v: str(v))
def test_order_statuses(sim: SimulatorState, vendor: str, canonical: str) -> None:
    raw = {**next(iter(sim.orders.values())), "nextStatusName": vendor}

    assert ORDER.apply(raw, CustomersInHub())["status"] == canonical


def test_an_order_whose_customer_is_not_in_the_hub_fails_alone(sim: SimulatorState) -> None:
    class Nobody(CustomersInHub):
        def to_canonical(self, system: str, entity: str, external_ids: Collection[str]) -> dict[str, str]:
            return {}

    [result] = ORDER.apply_many([next(iter(sim.orders.values()))], Nobody())

    assert result.error is not None
    assert "sync it first" in result.error.message


def test_a_canonical_customer_reversed_and_pushed_reads_back_the_same(
        connect: Callable[..., YonyouConnector], sim: SimulatorState) -> None:
    canonical = {"id": "cus_01JD7K0000000000000000TEST", "name": "杭州海纳自动化设备有限公司",
                 "tax_id": next(iter(sim.customers.values()))["creditCode"], "phones": ["+8613857112345"],
                 "address": "浙江省杭州市西湖区文一西路 969 号", "status": "active"}
    vendor = CUSTOMER.reverse(canonical)
    assert vendor["code"] == "HUB-cus_01JD7K0000000000000000TEST"

    connector = connect()
    result = asyncio.run(connector.push("merchant", vendor, idempotency_key="flow-run-1:step-1"))

    back = CUSTOMER.apply(sim.customers[result.external_id])
    assert {k: back[k] for k in ("name", "tax_id", "phones", "address", "status")} == {
        k: canonical[k] for k in ("name", "tax_id", "phones", "address", "status")}
