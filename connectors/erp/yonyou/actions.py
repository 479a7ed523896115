"""What the connector pushes: customers (客户档案) through the batch save, idempotently.

Every customer carries our reference ``code`` (the mapping's ``push:`` section writes
``HUB-<canonical id>``; without one it is derived from the idempotency key). Before
saving, the codes are looked up: a customer that exists is updated (only when a pushed
field differs), never created twice, so a retried push is harmless.

The batch save answers ``"code": "200"`` even when some items were refused: ``data.failCount > 0``
is a partial failure, and each refused item becomes its own ``VendorRecordError``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from connectors.erp.yonyou.api import YonyouApi
from connectors.erp.yonyou.streams import CUSTOMER_LIST
from hub.sdk import ActionSpec, PushResult, VendorError, VendorRecordError

CUSTOMER_BATCH_SAVE = "/yonbip/digitalModel/merchant/batchSave"
CUSTOMER_ACTION = ActionSpec("merchant", "customer", "create or update customers (客户档案批量保存)")
REFERENCE_PREFIX = "HUB-"

Outcome = PushResult | VendorRecordError


def reference_code(record: dict[str, Any], idempotency_key: str) -> str:
    """The customer code we own: the record's ``code``, else one derived from the idempotency key."""
    code = record.get("code")
    if isinstance(code, str) and code.strip():
        return code.strip()
    return REFERENCE_PREFIX + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20].upper()


async def push_customers(api: YonyouApi, items: Sequence[tuple[dict[str, Any], str]]) -> list[Outcome]:
    """Create or update customers; one outcome per item, in order (a refused item does not stop the rest)."""
    codes = [reference_code(record, key) for record, key in items]
    existing = await find_by_codes(api, codes)
    outcomes: dict[int, Outcome] = {}
    batch: list[tuple[int, dict[str, Any]]] = []
    for index, ((record, _key), code) in enumerate(zip(items, codes, strict=True)):
        fields = {k: v for k, v in record.items() if k not in ("id", "code", "_status")}
        found = existing.get(code)
        if found is None:
            batch.append((index, {**fields, "code": code, "_status": "Insert"}))
        elif differs(fields, found):
            batch.append((index, {**fields, "id": found["id"], "code": code, "_status": "Update"}))
        else:
            outcomes[index] = PushResult(str(found["id"]), created=False, raw=found)
    if batch:
        data = await api.post(CUSTOMER_BATCH_SAVE, {"data": [item for _, item in batch]}, what="merchant/batchSave")
        saved = await _saved_items(api, data, [item for _, item in batch])
        for index, item in batch:
            outcomes[index] = saved[item["code"]]
    return [outcomes[index] for index in range(len(items))]


async def find_by_codes(api: YonyouApi, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Existing customers by code, in one list call."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    body = {"pageIndex": 1, "pageSize": max(len(wanted), 1), "isSum": False,
            "simpleVOs": [{"field": "code", "op": "in", "value1": wanted}]}
    data = await api.post(CUSTOMER_LIST, body, what="merchant/newlist")
    records = data.get("recordList") if isinstance(data, dict) else None
    return {str(r["code"]): r for r in records or [] if isinstance(r, dict) and r.get("code") in wanted}


def differs(pushed: dict[str, Any], current: dict[str, Any]) -> bool:
    """Whether saving ``pushed`` would change ``current`` (fields it does not name are left alone)."""
    for key, value in pushed.items():
        now = current.get(key)
        if isinstance(value, dict) and isinstance(now, dict):
            if differs(value, now):
                return True
        elif _text(value) != _text(now):
            return True
    return False


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def _saved_items(api: YonyouApi, data: Any, batch: list[dict[str, Any]]) -> dict[str, Outcome]:
    """The outcome of each item of one batch save, by code."""
    if not isinstance(data, dict):
        raise VendorError("yonyou merchant/batchSave: the answer has no data object", details={"vendor": "yonyou"})
    infos = {str(i.get("code")): i for i in data.get("infos") or [] if isinstance(i, dict)}
    messages = [m if isinstance(m, str) else str(m) for m in data.get("messages") or []]
    fail_count = _int(data.get("failCount"))
    outcomes: dict[str, Outcome] = {}
    unresolved: list[str] = []
    for item in batch:
        code, created = item["code"], item["_status"] == "Insert"
        info = infos.get(code)
        if info is not None and info.get("id") is not None:
            outcomes[code] = PushResult(str(info["id"]), created=created, raw=info)
        elif fail_count > 0:
            mentioned = [m for m in messages if code in m]
            reason = "; ".join(mentioned or messages) or f"refused ({fail_count} of {len(batch)} failed)"
            outcomes[code] = VendorRecordError(
                f"yonyou merchant/batchSave: customer {code} refused: {reason}",
                details={"vendor": "yonyou", "code": code, "messages": mentioned or messages,
                         "fail_count": fail_count},
            )
        else:
            unresolved.append(code)
    if unresolved:  # success without the saved records: learn their ids by code
        found = await find_by_codes(api, unresolved)
        for code in unresolved:
            if code not in found:
                raise VendorError(f"yonyou merchant/batchSave: customer {code} reported saved but not found",
                                  details={"vendor": "yonyou", "code": code})
            item = next(i for i in batch if i["code"] == code)
            outcomes[code] = PushResult(str(found[code]["id"]), created=item["_status"] == "Insert",
                                        raw=found[code])
    return outcomes


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
