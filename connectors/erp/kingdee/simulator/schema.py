"""The forms the simulator serves, and filling them with generated data."""

from __future__ import annotations

from datetime import timedelta

from connectors.erp.kingdee.simulator.data import MATERIALS, DataGenerator, kd_date, kd_time
from connectors.erp.kingdee.simulator.forms import FormDef, FormStore

CUSTOMER = FormDef(
    "BD_Customer", "FCUSTID", "FNumber",
    ("FCUSTID", "FNumber", "FName", "FShortName", "FSOCIALCRECODE", "FTEL", "FADDRESS", "FSELLER.FName",
     "FForbidStatus", "FDocumentStatus", "FDescription", "FCreateOrgId.FNumber", "FUseOrgId.FNumber",
     "FModifyDate"),
    number_prefix="CUST",
)
MATERIAL = FormDef(
    "BD_MATERIAL", "FMATERIALID", "FNumber",
    ("FMATERIALID", "FNumber", "FName", "FSpecification", "FDocumentStatus", "FModifyDate"),
)
SALES_ORDER = FormDef(
    "SAL_SaleOrder", "FID", "FBillNo",
    ("FID", "FBillNo", "FDate", "FCustId.FNumber", "FCustId.FName", "FDocumentStatus", "FCloseStatus",
     "FSettleCurrId.FNumber", "FBillAllAmount", "FNote", "FModifyDate"),
    entry="FSaleOrderEntry",
    entry_keys=("FSaleOrderEntry_FEntryID", "FMaterialId.FNumber", "FMaterialId.FName", "FQty", "FTaxPrice",
                "FAllAmount"),
    number_prefix="XSDD",
)
RECEIPT = FormDef(
    "AR_RECEIVEBILL", "FID", "FBillNo",
    ("FID", "FBillNo", "FDate", "FCONTACTUNIT.FNumber", "FDocumentStatus", "FRECTOTALAMOUNTFOR", "FModifyDate"),
    entry="FRECEIVEBILLENTRY",
    entry_keys=("FRECEIVEBILLENTRY_FEntryID", "FSALEORDERNO", "FRECAMOUNTFOR_E"),
    number_prefix="SKD",
)
PRODUCTION_ORDER = FormDef(
    "PRD_MO", "FID", "FBillNo",
    ("FID", "FBillNo", "FDate", "FBillType.FNumber", "FPrdOrgId.FNumber", "FDocumentStatus", "FDescription",
     "FModifyDate"),
    entry="FTreeEntity",
    entry_keys=("FTreeEntity_FEntryId", "FMaterialId.FNumber", "FQty", "FPlanStartDate", "FPlanFinishDate",
                "FSaleOrderNo", "FStatus"),
    number_prefix="MO",
)
# 应收单. K3 Cloud spells the finance forms' keys in capitals (FDATE, not FDate). The header
# total FALLAMOUNTFOR is derived from the lines on Save, as K3 Cloud does.
RECEIVABLE = FormDef(
    "AR_receivable", "FID", "FBillNo",
    ("FID", "FBillNo", "FDATE", "FCUSTOMERID.FNumber", "FSETTLEORGID.FNumber", "FPAYORGID.FNumber",
     "FSALEORGID.FNumber", "FCURRENCYID.FNumber", "FALLAMOUNTFOR", "FDocumentStatus", "FDescription",
     "FModifyDate"),
    entry="FEntityDetail",
    entry_keys=("FEntityDetail_FEntryID", "FMATERIALID.FNumber", "FPriceQty", "FTaxPrice", "FALLAMOUNTFOR_D"),
    number_prefix="AR",
    date_key="FDATE",
)
FORMS = (CUSTOMER, MATERIAL, SALES_ORDER, RECEIPT, PRODUCTION_ORDER, RECEIVABLE)


MATERIAL_NUMBERS = tuple(f"01.01.{index + 1:04d}" for index in range(len(MATERIALS)))


def material_number(index: int) -> str:
    return MATERIAL_NUMBERS[index]


def populate(
    stores: dict[str, FormStore],
    gen: DataGenerator,
    *,
    customers: int,
    orders: int,
    lines_per_order: int | None,
    receipt_share: float,
    production_orders: int,
) -> None:
    """Fill the forms: materials, customers, orders (with lines), receipts, production orders."""
    for index, (name, _price) in enumerate(MATERIALS):
        spec = name.split(" ", 1)[1] if " " in name else ""
        stores["BD_MATERIAL"].add({"FNumber": material_number(index), "FName": name.split(" ")[0],
                                   "FSpecification": spec, "FDocumentStatus": "C", "FModifyDate": gen.tick()})
    companies = gen.companies(customers)
    for c in companies:
        stores["BD_Customer"].add({
            "FNumber": c.number, "FName": c.name, "FShortName": c.short_name, "FSOCIALCRECODE": c.tax_id,
            "FTEL": c.phones, "FADDRESS": c.address, "FSELLER.FName": c.seller, "FForbidStatus": c.forbid,
            "FDocumentStatus": "C", "FDescription": "", "FCreateOrgId.FNumber": "100", "FUseOrgId.FNumber": "100",
            "FModifyDate": c.modified,
        })
    rng = gen.rng
    order_store, receipt_store = stores["SAL_SaleOrder"], stores["AR_RECEIVEBILL"]
    for number in range(1, orders + 1):
        customer = companies[rng.randrange(len(companies))] if companies else None
        lines, total = [], 0.0
        for material, qty, price in gen.order_lines(lines_per_order):
            amount = round(qty * price, 2)
            total += amount
            name = MATERIALS[material][0]
            lines.append({"FMaterialId.FNumber": material_number(material), "FMaterialId.FName": name,
                          "FQty": qty, "FTaxPrice": price, "FAllAmount": amount})
        modified = gen.tick(max_ms=3000)
        status = rng.choices(("C", "B", "A"), (0.85, 0.05, 0.10))[0]
        doc = order_store.add({
            "FBillNo": f"XSDD{number:06d}", "FDate": kd_date(gen.clock),
            "FCustId.FNumber": customer and customer.number, "FCustId.FName": customer and customer.name,
            "FDocumentStatus": status, "FCloseStatus": "A",
            "FSettleCurrId.FNumber": "PRE001", "FBillAllAmount": round(total, 2),
            "FNote": rng.choice(("", "", "", "月底前发货", "加急", "分批发货")), "FModifyDate": modified,
        }, lines)
        if status == "C" and rng.random() < receipt_share:
            for amount in gen.split_payment(round(total, 2)):
                receipt_store.add({
                    "FDate": kd_date(gen.clock), "FCONTACTUNIT.FNumber": customer and customer.number,
                    "FDocumentStatus": "C", "FRECTOTALAMOUNTFOR": amount, "FModifyDate": gen.tick(max_ms=500),
                }, [{"FSALEORDERNO": order_store.get("FBillNo", doc), "FRECAMOUNTFOR_E": amount}])
    order_store.next_number = orders + 1
    mo_store = stores["PRD_MO"]
    sample = list(order_store)[:production_orders]
    for doc in sample:
        start = gen.clock
        mo_store.add({
            "FDate": kd_date(start), "FBillType.FNumber": "SCDD01_SYS", "FPrdOrgId.FNumber": "100",
            "FDocumentStatus": "C", "FDescription": "", "FModifyDate": kd_time(start),
        }, [{"FMaterialId.FNumber": doc.lines[0][1] if doc.lines else material_number(0),
             "FQty": doc.lines[0][3] if doc.lines else 1.0, "FPlanStartDate": kd_date(start),
             "FPlanFinishDate": kd_date(start + timedelta(days=7)),
             "FSaleOrderNo": order_store.get("FBillNo", doc), "FStatus": "3"}])
