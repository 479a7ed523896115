"""Round trips: for a record in a mapping's canonical image, ``apply(reverse(x)) == x``.

Each spec uses only reversible constructs; each strategy generates records the
forward direction can produce (trimmed text, upper-case codes, 2-place amounts,
aware datetimes, E.164 numbers, tokens without the separator).
"""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.mapping.builders import FakeResolver, mapping

ROUND_TRIPS = settings(max_examples=60, deadline=None)
# Canonical times are instants (stored in UTC); fixed offsets, since Python never calls a time in a DST fold
# equal to one in another zone, which is about datetime equality, not about mappings.
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-9, minutes=-30))])
CHINESE = "华东机械制造有限公司上海深圳客户订单螺丝"


def text(alphabet: str, *, min_size: int = 1, max_size: int = 12) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)


def amounts(places: int, *, min_value: int = -10**9) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=min_value, max_value=10**9, places=places, allow_nan=False, allow_infinity=False)


def aware_datetimes(*, microseconds: bool) -> st.SearchStrategy[datetime]:
    values = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=ZONES)
    return values if microseconds else values.map(lambda d: d.replace(microsecond=0))


# -- an order: trim, upper, map, decimals, datetime with format and zone, lookup, each ---------

ORDER = """\
number: {from: FBillNo, pipe: [trim]}
customer_id: {from: FCustId.FNumber, lookup: {system: kingdee, entity: customer}}
status:
  from: FDocumentStatus
  map: {A: draft, B: confirmed, C: in_production, D: shipped, E: completed, F: cancelled}
currency: {from: FSettleCurrId.FNumber, pipe: [trim, upper]}
total: {from: FBillAllAmount, pipe: [{decimal: 2}]}
paid_amount: {from: FReceivedCents, pipe: [{divide: 100}], required: false}
ordered_at: {from: FDate, pipe: [{datetime: {format: "%Y-%m-%d %H:%M:%S", tz: Asia/Shanghai}}]}
note: {from: FNote, pipe: [trim, {prefix: "KD:"}], required: false}
lines:
  each: FSaleOrderEntry
  fields:
    sku: {from: FMaterialId.FNumber, pipe: [trim, upper]}
    qty: {from: FQty, pipe: [{decimal: 2}]}
    unit_price: {from: FTaxPrice, pipe: [{decimal: 4}], required: false}
"""
ORDER_MAPPING = mapping(ORDER)
CUSTOMERS = {f"C{i:03d}": f"cus_{i}" for i in range(1, 6)}
CODES = string.ascii_uppercase + string.digits + "-" + CHINESE

order_lines = st.fixed_dictionaries({
    "sku": text(CODES),
    "qty": amounts(2, min_value=0),
    "unit_price": st.none() | amounts(4, min_value=0),
})
orders = st.fixed_dictionaries({
    "number": text(string.ascii_letters + string.digits + "-/" + CHINESE),
    "customer_id": st.sampled_from(sorted(CUSTOMERS.values())),
    "status": st.sampled_from(["draft", "confirmed", "in_production", "shipped", "completed", "cancelled"]),
    "currency": text(string.ascii_uppercase, min_size=3, max_size=3),
    "total": amounts(2),
    "paid_amount": st.none() | amounts(2, min_value=0),
    "ordered_at": aware_datetimes(microseconds=False),
    "note": st.none() | text(CHINESE + string.ascii_letters + " ，。", min_size=0).map(lambda s: "KD:" + s.strip()),
    "lines": st.lists(order_lines, max_size=4),
})


@ROUND_TRIPS
@given(orders)
def test_an_order_survives_reverse_then_apply(order: dict[str, Any]) -> None:
    m = ORDER_MAPPING
    resolver = FakeResolver({("kingdee", "customer"): CUSTOMERS})

    assert m.apply(m.reverse(order, resolver), resolver) == order


# -- a customer: split/join, phones, e-mails, many fields optional, id from push ---------------

CUSTOMER = """\
name: {from: FName, pipe: [trim]}
tax_id: {from: FTaxRegisterCode, pipe: [trim, upper], required: false}
phones: {from: FMobile, pipe: [{split: ","}, phone]}
emails: {from: FEmails, pipe: [email], required: false}
tags: {from: FTags, pipe: [{split: "、"}], required: false}
address: {from: FAddress, pipe: [{replace: ["（", "("]}], required: false}
owner: FSeller.FNumber
status: {from: FForbidStatus, map: {A: active, B: inactive}}
"""
PUSH_ID = "push:\n  fields:\n    FNumber: {const: C001}"
CUSTOMER_MAPPING = mapping(CUSTOMER, entity="customer", id_path="FNumber", extra=PUSH_ID)

mobiles = st.from_regex(r"\+861[3-9][0-9]{9}", fullmatch=True)
landlines = st.from_regex(r"\+86(10[0-9]{7,8}|[2-9][0-9]{8,10})", fullmatch=True)
emails = st.builds(
    lambda local, domain, tld: f"{local}@{domain}.{tld}",
    text(string.ascii_lowercase + string.digits + "._+-"), text(string.ascii_lowercase + string.digits),
    text(string.ascii_lowercase, min_size=2, max_size=4),
)
customers = st.fixed_dictionaries({
    "name": text(CHINESE + string.ascii_letters + "()（）").map(str.strip).filter(bool),
    "tax_id": st.none() | text(string.ascii_uppercase + string.digits, min_size=15, max_size=18),
    "phones": st.lists(mobiles | landlines, min_size=1, max_size=3),
    "emails": st.none() | st.lists(emails, max_size=3),
    "tags": st.none() | st.lists(text(CHINESE + string.ascii_letters + "-"), max_size=4),
    "address": st.none() | text(CHINESE + string.digits + "()号 -", min_size=0),
    "owner": text(string.ascii_lowercase + string.digits),
    "status": st.sampled_from(["active", "inactive"]),
})


@ROUND_TRIPS
@given(customers)
def test_a_customer_survives_reverse_then_apply(customer: dict[str, Any]) -> None:
    m = CUSTOMER_MAPPING

    assert m.apply(m.reverse(customer)) == customer


# -- a contract: ISO datetimes keep microseconds, scaled amounts, prefixed numbers -------------

CONTRACT = """\
number: {from: ContractNo, pipe: [{prefix: "HT-"}]}
amount: {from: AmountCents, pipe: [{divide: 100}]}
signed_at: {from: SignedAt, pipe: [{datetime: {tz: Asia/Shanghai}}]}
status: {from: State, map: {0: draft, 1: approving, 2: signed, 3: void}}
"""

CONTRACT_MAPPING = mapping(CONTRACT, entity="contract", id_path="ContractNo")
contracts = st.fixed_dictionaries({
    "number": text(string.digits, min_size=1, max_size=8).map(lambda s: "HT-" + s),
    "amount": amounts(2),
    "signed_at": aware_datetimes(microseconds=True),
    "status": st.sampled_from(["draft", "approving", "signed", "void"]),
})


@ROUND_TRIPS
@given(contracts)
def test_a_contract_survives_reverse_then_apply(contract: dict[str, Any]) -> None:
    m = CONTRACT_MAPPING

    assert m.apply(m.reverse(contract)) == contract
