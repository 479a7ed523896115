"""The shipped Kingdee mappings load and turn every simulator record into a valid canonical record; the
production-order and customer mappings reverse into Save models the simulator accepts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.erp.kingdee import KingdeeConnector
from connectors.erp.kingdee.simulator import KingdeeSimulator
from connectors.erp.kingdee.streams import QUERIES
from hub.canonical.models import CustomerFields, OrderFields, ProductionOrderFields
from hub.mapping import load_mapping
from hub.mapping.registry import load_registry, shipped_mappings_dir
from hub.mapping.spec import FieldRule
from tests.connectors.kingdee.conftest import read_all, records

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings" / "kingdee"
CUSTOMER = load_mapping(MAPPINGS / "customer.yaml")
ORDER = load_mapping(MAPPINGS / "sales-order.yaml")
RECEIPT = load_mapping(MAPPINGS / "receipt.yaml")
PRODUCTION_ORDER = load_mapping(MAPPINGS / "production-order.yaml")
Connect = Callable[..., KingdeeConnector]


class KnownToHub:
    """A crosswalk where every Kingdee id is known as ``<prefix>_<id>``."""

    def to_canonical(self, system: str, entity: str, external_ids: Collection[str]) -> dict[str, str]:
        return {i: f"{entity[:3]}_{i}" for i in external_ids}

    def to_external(self, system: str, entity: str, record_ids: Collection[str]) -> dict[str, str]:
        return {i: i.split("_", 1)[1] for i in record_ids}


def test_the_shipped_registry_holds_every_kingdee_mapping() -> None:
    registry = load_registry(None, shipped_dir=shipped_mappings_dir(), partial=True)

    assert {registry.get(n).mapping.object for n in ("kingdee-customer", "kingdee-sales-order", "kingdee-receipt",
                                                     "kingdee-production-order")} == {
        "BD_Customer", "SAL_SaleOrder", "AR_RECEIVEBILL", "PRD_MO"}


@pytest.mark.parametrize("mapping", [CUSTOMER, ORDER, RECEIPT, PRODUCTION_ORDER], ids=lambda m: m.name)
def test_each_mapping_names_a_stream_of_the_connector_feeding_its_entity(mapping) -> None:  # type: ignore[no-untyped-def]
    spec = KingdeeConnector.streams[mapping.object]

    assert (mapping.system, mapping.entity, spec.cursor_field) == ("kingdee", spec.entity, "FModifyDate")


def _columns(rules: tuple[FieldRule, ...], entry: str | None) -> set[str]:
    """The query columns a mapping reads: flat keys, and entry keys under ``entry`` lists."""
    found: set[str] = set()
    for rule in rules:
        if rule.source == "each":
            found |= {p.text for sub in rule.subfields for p in sub.paths + sub.template_paths}
            continue
        for path in rule.paths + rule.template_paths:
            parts = path.parts
            if entry is not None and parts[0] == entry and len(parts) > 2 and isinstance(parts[1], int):
                found.add(".".join(str(p) for p in parts[2:]))
            else:
                found.add(path.text)
    return found


@pytest.mark.parametrize("mapping", [CUSTOMER, ORDER, PRODUCTION_ORDER], ids=lambda m: m.name)
def test_each_mapping_reads_only_columns_the_connector_queries(mapping) -> None:  # type: ignore[no-untyped-def]
    query = QUERIES[mapping.object]

    assert _columns(mapping.spec.fields, query.entry) <= set(query.field_keys)


def test_every_simulator_customer_maps_to_a_valid_canonical_customer(connect: Connect) -> None:
    raws = records(read_all(connect(), "BD_Customer", full=True))

    results = CUSTOMER.apply_many(raws)

    assert [r.error for r in results if not r.ok] == []
    for result in results:
        fields = CustomerFields.model_validate(result.fields)
        assert fields.tax_id
        assert len(fields.tax_id) == 18
        assert fields.phones
        assert all(p.startswith("+86") for p in fields.phones)
        assert fields.status in ("active", "disabled")


def test_every_simulator_order_maps_with_its_lines(connect: Connect, sim: KingdeeSimulator) -> None:
    raws = records(read_all(connect(), "SAL_SaleOrder", full=True))

    results = ORDER.apply_many(raws, KnownToHub())

    assert [r.error for r in results if not r.ok] == []
    first = OrderFields.model_validate(results[0].fields)
    source = sim.documents("SAL_SaleOrder", number=first.number)[0]
    assert first.customer_id == f"cus_{source['FCustId.FNumber']}"
    assert first.currency == "CNY"
    assert first.total == Decimal(str(source["FBillAllAmount"])).quantize(Decimal("0.01"))
    assert first.lines is not None
    assert len(first.lines) == len(source["FSaleOrderEntry"])
    assert first.payment_status is None  # receipts own it
    assert first.ordered_at is not None
    assert first.ordered_at.utcoffset() == UTC.utcoffset(None)


def test_every_receipt_record_maps_to_payment_fields_only(connect: Connect) -> None:
    raws = records(read_all(connect(), "AR_RECEIVEBILL", full=True))

    results = RECEIPT.apply_many(raws)

    assert [r.error for r in results if not r.ok] == []
    assert {tuple(sorted(r.fields or {})) for r in results} == {("paid_amount", "payment_status")}
    assert {r.fields["payment_status"] for r in results if r.fields} == {"paid", "partial"}


def test_every_simulator_production_order_maps(connect: Connect) -> None:
    raws = records(read_all(connect(), "PRD_MO", full=True))

    results = PRODUCTION_ORDER.apply_many(raws, KnownToHub())

    assert [r.error for r in results if not r.ok] == []
    fields = ProductionOrderFields.model_validate(results[0].fields)
    assert (fields.status, fields.order_id) == ("released", "ord_XSDD000001")


def test_a_canonical_production_order_reverses_into_a_save_the_simulator_accepts(
    connect: Connect, sim: KingdeeSimulator
) -> None:
    canonical = {"id": "mo_1", "order_id": "ord_XSDD000002", "sku": "01.01.0005", "qty": "8",
                 "planned_start": "2024-06-03T00:00:00+00:00", "planned_finish": "2024-06-10T00:00:00+00:00"}
    model = PRODUCTION_ORDER.reverse(canonical, KnownToHub())

    result = asyncio.run(connect().push("PRD_MO", model, idempotency_key="mo_1"))

    [document] = sim.documents("PRD_MO", number=result.external_id)
    line = document["FTreeEntity"][0]
    assert document["FBillType.FNumber"] == "SCDD01_SYS"
    assert (line["FMaterialId.FNumber"], line["FQty"], line["FSaleOrderNo"]) == ("01.01.0005", 8.0, "XSDD000002")
    assert line["FPlanStartDate"] == "2024-06-03T08:00:00"  # Beijing wall time
    pulled = PRODUCTION_ORDER.apply(records(read_all(connect(), "PRD_MO", full=True))[-1], KnownToHub())
    assert (pulled["sku"], pulled["qty"], pulled["order_id"]) == ("01.01.0005", Decimal("8.0"), "ord_XSDD000002")
    assert pulled["planned_start"] == datetime(2024, 6, 3, tzinfo=UTC)


def test_a_canonical_customer_reverses_into_a_save_the_simulator_accepts(
    connect: Connect, sim: KingdeeSimulator
) -> None:
    canonical = {"id": "cus_9", "name": "南京启明星电子有限公司", "tax_id": "91320100MA1N2X3Y4K",
                 "phones": ["+8613800001111", "+862584001234"], "address": "江苏省南京市江宁区天元中路 8 号",
                 "status": "active", "owner": "张伟"}
    model = CUSTOMER.reverse(canonical)

    result = asyncio.run(connect().push("BD_Customer", model, idempotency_key="cus_9"))

    [document] = sim.documents("BD_Customer", number=result.external_id)
    assert document["FTEL"] == "13800001111,02584001234"
    assert document["FForbidStatus"] == "A"
    assert document["FSELLER.FName"] is None  # owner is read from Kingdee, never pushed
    back = CUSTOMER.apply(document)
    assert (back["name"], back["phones"], back["tax_id"]) == (canonical["name"], canonical["phones"],
                                                             canonical["tax_id"])
