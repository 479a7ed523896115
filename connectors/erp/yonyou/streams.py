"""What the connector pulls: customers (客户档案) and sales orders (销售订单) with their lines.

The sales-order list answers headers only; each order's lines come from its detail
(``GET /yonbip/sd/voucherorder/detail?id=``), fetched a few at a time. An order that
already carries ``orderDetails`` in the list is used as it is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from connectors.erp.yonyou.api import YonyouApi
from connectors.erp.yonyou.paging import CURSOR_FIELD, read_list
from hub.sdk import Page, StreamSpec, StreamState, VendorError

log = logging.getLogger(__name__)

CUSTOMER_LIST = "/yonbip/digitalModel/merchant/newlist"
ORDER_LIST = "/yonbip/sd/voucherorder/list"
ORDER_DETAIL = "/yonbip/sd/voucherorder/detail"
LINES_KEY = "orderDetails"
DETAIL_CONCURRENCY = 8
NOT_FOUND_CODE = "999"  # a detail asked for an order deleted since the list answered


@dataclass(frozen=True)
class ListStream:
    spec: StreamSpec
    path: str
    what: str
    needs_lines: bool = False


STREAMS: dict[str, ListStream] = {
    "merchant": ListStream(
        StreamSpec("merchant", "customer", "客户档案 (merchant/newlist)", cursor_field=CURSOR_FIELD),
        CUSTOMER_LIST, "merchant/newlist",
    ),
    "voucherorder": ListStream(
        StreamSpec("voucherorder", "order", "销售订单 with lines (voucherorder/list + detail)",
                   cursor_field=CURSOR_FIELD),
        ORDER_LIST, "voucherorder/list", needs_lines=True,
    ),
}


async def read_stream(api: YonyouApi, stream: ListStream, state: StreamState, *, full: bool) -> AsyncIterator[Page]:
    async def fetch(body: dict[str, Any]) -> Any:
        return await api.post(stream.path, body, what=stream.what)

    async for page in read_list(fetch, state, full=full, page_size=api.settings.page_size, what=stream.what):
        records = await with_lines(api, page.records) if stream.needs_lines else page.records
        yield Page(records, page.state)


async def with_lines(api: YonyouApi, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Orders with ``orderDetails``: from the detail call when the list left them out."""
    gate = asyncio.Semaphore(DETAIL_CONCURRENCY)

    async def one(order: dict[str, Any]) -> dict[str, Any] | None:
        if isinstance(order.get(LINES_KEY), list):
            return order
        async with gate:
            try:
                detail = await api.get(ORDER_DETAIL, {"id": str(order.get("id"))}, what="voucherorder/detail")
            except VendorError as exc:
                if isinstance(exc.details, dict) and exc.details.get("code") == NOT_FOUND_CODE:
                    log.warning("yonyou sales order %s vanished between list and detail; skipped (%s)",
                                order.get("id"), exc.message)
                    return None
                raise
        if not isinstance(detail, dict):
            raise VendorError(f"yonyou voucherorder/detail: no data for order {order.get('id')!r}",
                              details={"vendor": "yonyou", "id": order.get("id")})
        return {**order, **detail}

    try:
        async with asyncio.TaskGroup() as group:  # the first failure cancels the other detail calls
            tasks = [group.create_task(one(order)) for order in orders]
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None  # the hub's own error, as if called one by one
    return [order for task in tasks if (order := task.result()) is not None]
