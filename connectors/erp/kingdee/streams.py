"""What the connector pulls: the columns of each form, and receipts folded into order payments.

Customers, sales orders and production orders are read with :func:`read_changes`.
Receipts are different: a receipt says "this much of order X was paid", and the hub
keeps payment on the order. So the receipts stream reads the receipts that changed,
then for every order they touch adds up *all* audited receipts of that order and
yields one record per order, keyed by the order number::

    {"FBillNo": "XSDD000042", "FBillAllAmount": "1200.00", "ReceivedAmount": "500.00",
     "PaymentStatus": "partial", "ReceiptNos": ["SKD000007"], "FModifyDate": "..."}

The stream declares ``attach_to_object="SAL_SaleOrder"``: the hub joins each record to
the order it already knows under that number, so the order's ``payment_status`` and
``paid_amount`` change (and ``order.paid`` fires when fully paid).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.erp.kingdee.client import KingdeeClient
from connectors.erp.kingdee.query import Fetch, FormQuery, Record, in_list, read_changes, zip_rows
from hub.sdk import Page, StreamState

CUSTOMERS = FormQuery(
    "BD_Customer", "FCUSTID",
    ("FCUSTID", "FNumber", "FName", "FShortName", "FSOCIALCRECODE", "FTEL", "FADDRESS", "FSELLER.FName",
     "FForbidStatus", "FDocumentStatus", "FModifyDate"),
)
SALES_ORDERS = FormQuery(
    "SAL_SaleOrder", "FID",
    ("FID", "FBillNo", "FDate", "FCustId.FNumber", "FCustId.FName", "FDocumentStatus", "FCloseStatus",
     "FSettleCurrId.FNumber", "FBillAllAmount", "FNote", "FModifyDate"),
    entry="FSaleOrderEntry",
    entry_keys=("FSaleOrderEntry_FEntryID", "FMaterialId.FNumber", "FMaterialId.FName", "FQty", "FTaxPrice",
                "FAllAmount"),
    entry_id_key="FSaleOrderEntry_FEntryID",
)
RECEIPTS = FormQuery(
    "AR_RECEIVEBILL", "FID",
    ("FID", "FBillNo", "FDate", "FCONTACTUNIT.FNumber", "FDocumentStatus", "FModifyDate"),
    entry="FRECEIVEBILLENTRY",
    entry_keys=("FRECEIVEBILLENTRY_FEntryID", "FSALEORDERNO", "FRECAMOUNTFOR_E"),
    entry_id_key="FRECEIVEBILLENTRY_FEntryID",
)
PRODUCTION_ORDERS = FormQuery(
    "PRD_MO", "FID",
    ("FID", "FBillNo", "FDate", "FDocumentStatus", "FDescription", "FModifyDate"),
    entry="FTreeEntity",
    entry_keys=("FTreeEntity_FEntryId", "FMaterialId.FNumber", "FQty", "FPlanStartDate", "FPlanFinishDate",
                "FSaleOrderNo", "FStatus"),
    entry_id_key="FTreeEntity_FEntryId",
)
QUERIES = {q.form_id: q for q in (CUSTOMERS, SALES_ORDERS, PRODUCTION_ORDERS)}

IN_CHUNK = 500  # order numbers per IN (...) list


def fetcher(client: KingdeeClient, query: FormQuery) -> Fetch:
    async def fetch(filter_string: str, start_row: int, limit: int) -> list[list[Any]]:
        return await client.query(query.form_id, query.field_keys, filter_string=filter_string,
                                  order_string=query.order_string, start_row=start_row, limit=limit)

    return fetch


async def query_all(
    client: KingdeeClient, form_id: str, keys: Sequence[str], filter_string: str, order_string: str, limit: int
) -> list[Record]:
    """Every row of a small query (paged until a short page), zipped into records."""
    records: list[Record] = []
    start = 0
    while True:
        rows = await client.query(form_id, keys, filter_string=filter_string, order_string=order_string,
                                  start_row=start, limit=limit)
        records.extend(zip_rows(keys, rows))
        if len(rows) < limit:
            return records
        start += limit


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def payment_status(received: Decimal, total: Decimal | None) -> str:
    if received > 0 and total is not None and received >= total:
        return "paid"
    return "partial" if received > 0 else "unpaid"


async def read_payments(
    client: KingdeeClient, state: StreamState, *, full: bool, limit: int
) -> AsyncIterator[Page]:
    """One record per order touched by changed receipts: what was received over all its receipts."""
    async for page in read_changes(fetcher(client, RECEIPTS), RECEIPTS, state, full=full, limit=limit):
        numbers = list(dict.fromkeys(
            str(line["FSALEORDERNO"]) for receipt in page.records for line in receipt["FRECEIVEBILLENTRY"]
            if line.get("FSALEORDERNO")
        ))
        records: list[Record] = []
        for start in range(0, len(numbers), IN_CHUNK):
            records.extend(await _payments(client, numbers[start:start + IN_CHUNK], limit))
        yield Page(records, page.state)


async def _payments(client: KingdeeClient, numbers: list[str], limit: int) -> list[Record]:
    totals = {
        str(r["FBillNo"]): _decimal(r["FBillAllAmount"])
        for r in await query_all(client, "SAL_SaleOrder", ("FBillNo", "FBillAllAmount"),
                                 in_list("FBillNo", numbers), "FBillNo ASC", limit)
    }
    receipts = await query_all(
        client, "AR_RECEIVEBILL", ("FBillNo", "FSALEORDERNO", "FRECAMOUNTFOR_E", "FModifyDate"),
        f"FDocumentStatus='C' AND {in_list('FSALEORDERNO', numbers)}",
        "FID ASC,FRECEIVEBILLENTRY_FEntryID ASC", limit,
    )
    received: dict[str, Decimal] = {}
    bills: dict[str, list[str]] = {}
    latest: dict[str, Any] = {}
    for line in receipts:
        number = str(line["FSALEORDERNO"])
        received[number] = received.get(number, Decimal(0)) + _decimal(line["FRECAMOUNTFOR_E"])
        if line["FBillNo"] not in bills.setdefault(number, []):
            bills[number].append(line["FBillNo"])
        if line["FModifyDate"] is not None and (latest.get(number) is None or line["FModifyDate"] > latest[number]):
            latest[number] = line["FModifyDate"]
    records = []
    for number in numbers:
        total = totals.get(number)
        paid = received.get(number, Decimal(0))
        records.append({
            "FBillNo": number,
            "FBillAllAmount": None if total is None else str(total),
            "ReceivedAmount": str(paid),
            "PaymentStatus": payment_status(paid, total),
            "ReceiptNos": bills.get(number, []),
            "FModifyDate": latest.get(number),
        })
    return records
