"""Benchmark: a 13-field customer mapping, compiled, against the same transform written by hand.

Run:  .venv/bin/python bench/mapping.py [--records 20000]

All three run over the same 20,000 WeCom-style customer records in one process:
the compiled YAML mapping (hub.mapping), a hand-written Python function doing the
same conversions with the same helpers, and jsonata-python (if installed) on an
equivalent expression (jsonata has no phone or decimal rounding: it does less).
Reported as records/s and as the ratio compiled / hand-written (target >= 0.5).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hub.mapping.steps import to_bool, to_email, to_phone, trim

SPEC = """
version: 1
name: bench-customer
system: wecom
object: external_contact
entity: customer
id: external_userid
fields:
  name: {from: [corp_full_name, corp_name, name], pipe: [trim]}
  tax_id: {from: tax_no, pipe: [trim, upper], required: false}
  phones: {from: remark_mobiles, pipe: [phone]}
  emails: {from: contact.email, pipe: [email], required: false}
  address: {from: profile.address, pipe: [trim], required: false}
  tags: {from: tag_names, required: false}
  owner: follow_userid
  status:
    from: state
    map: {"1": active, "2": inactive}
    default: active
  note: {from: remark, pipe: [trim, empty_to_null], required: false}
  attributes: {template: "{position}", required: false}
  customer_since: {from: createtime, pipe: [str], required: false}
  credit: {from: credit_limit, pipe: [{decimal: 2}], required: false}
  vip: {from: is_vip, pipe: [bool], required: false}
"""

# The canonical customer has no customer_since/credit/vip: the bench maps them under a
# scratch entity check-free copy below, so both sides do the same 13 conversions.
SPEC = SPEC.replace("  customer_since:", "  x_since:").replace("  credit:", "  x_credit:").replace("  vip:", "  x_vip:")

CENT = Decimal("0.01")
STATUS = {"1": "active", "2": "inactive"}


def hand_written(r: dict[str, Any]) -> dict[str, Any]:
    name = r.get("corp_full_name") or r.get("corp_name") or r.get("name")
    tax_no = r.get("tax_no")
    email = (r.get("contact") or {}).get("email")
    address = (r.get("profile") or {}).get("address")
    remark = r.get("remark")
    remark = trim(remark) if remark is not None else None
    credit = r.get("credit_limit")
    vip = r.get("is_vip")
    created = r.get("createtime")
    position = r.get("position")
    return {
        "name": trim(name),
        "tax_id": trim(tax_no).upper() if tax_no is not None else None,
        "phones": [to_phone(p) for p in r["remark_mobiles"]],
        "emails": to_email(email) if email is not None else None,
        "address": trim(address) if address is not None else None,
        "tags": r.get("tag_names"),
        "owner": r["follow_userid"],
        "status": STATUS.get(str(r.get("state")), "active"),
        "note": remark or None,
        "attributes": f"{position}" if position is not None else None,
        "x_since": str(created) if created is not None else None,
        "x_credit": Decimal(str(credit)).quantize(CENT, ROUND_HALF_UP) if credit is not None else None,
        "x_vip": to_bool(vip) if vip is not None else None,
    }


JSONATA = """{
  "name": $trim(corp_full_name ? corp_full_name : (corp_name ? corp_name : name)),
  "tax_id": $uppercase($trim(tax_no)),
  "phones": remark_mobiles.$replace($, /[^0-9]/, ""),
  "emails": $lowercase($trim(contact.email)),
  "address": $trim(profile.address),
  "tags": tag_names,
  "owner": follow_userid,
  "status": state = "2" ? "inactive" : "active",
  "note": $trim(remark),
  "attributes": position,
  "x_since": $string(createtime),
  "x_credit": $round($number(credit_limit), 2),
  "x_vip": is_vip = "是"
}"""


def records(count: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    out = []
    for i in range(count):
        out.append({
            "external_userid": f"wmABC{i:08d}",
            "corp_full_name": f"  华东机械制造有限公司{i}\u3000" if i % 3 else None,
            "corp_name": f"华东机械{i}",
            "name": f"张三{i}",
            "tax_no": f"91310000ma{i:08d}",
            "remark_mobiles": [f"138 {i % 10000:04d} {rng.randrange(10000):04d}"],
            "contact": {"email": f" Buyer{i}@Example.CN "},
            "profile": {"address": f"上海市浦东新区张江路{i}号 "},
            "tag_names": ["重点客户", "华东"],
            "follow_userid": f"zhangsan{i % 50}",
            "state": str(1 + i % 2),
            "remark": "  " if i % 4 == 0 else "老客户",
            "position": "采购经理",
            "createtime": 1700000000 + i,
            "credit_limit": f"{rng.randrange(10**6)}.{rng.randrange(1000):03d}",
            "is_vip": "是" if i % 5 == 0 else "否",
        })
    return out


def timed(fn: Callable[[dict[str, Any]], Any], data: list[dict[str, Any]], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for record in data:
            fn(record)
        best = min(best, time.perf_counter() - start)
    return len(data) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    data = records(args.records)
    mapping = _scratch_mapping()
    compiled = mapping._forward  # the compiled transform itself, as apply() calls it per record
    sample = data[:50]
    for record in sample:  # both sides must agree before they are timed
        assert compiled(record) == hand_written(record), (compiled(record), hand_written(record))
    hand = timed(hand_written, data)
    ours = timed(compiled, data)
    whole = timed(mapping.apply, data, repeat=1)
    print(f"hand-written      {hand:10,.0f} records/s")
    print(f"compiled mapping  {ours:10,.0f} records/s   ratio compiled/hand-written = {ours / hand:.2f}")
    print(f"Mapping.apply     {whole:10,.0f} records/s   (with id extraction and result wrapping)")
    try:
        import jsonata
    except ImportError:
        print("jsonata-python   not installed (pip install jsonata-python)")
        return
    expression = jsonata.Jsonata(JSONATA)
    small = data[: max(1, args.records // 10)]
    rate = timed(expression.evaluate, small, repeat=1)
    print(f"jsonata-python    {rate:10,.0f} records/s   ratio compiled/jsonata = {ours / rate:.0f}x")


def _scratch_mapping() -> Any:
    """The customer entity plus three scratch fields, so the 13 fields all compile."""
    from hub.canonical.models import CustomerFields
    from hub.mapping.mapping import Mapping
    from hub.mapping.spec import read_spec
    from hub.store import entities

    class BenchCustomer(CustomerFields):
        x_since: str | None = None
        x_credit: Decimal | None = None
        x_vip: bool | None = None

    original = entities.ENTITIES["customer"]
    entities.ENTITIES["customer"] = entities.Entity(
        "customer", "customers", "cus", BenchCustomer, original.record_model, original.search_fields
    )
    try:
        spec, problems = read_spec(SPEC, source_name="bench")
        assert spec is not None, problems
        return Mapping(spec)
    finally:
        entities.ENTITIES["customer"] = original


if __name__ == "__main__":
    main()
