"""Reading a list API by its ``pubts`` change cursor, page by page, without skipping or repeating.

Each request asks for ``pubts >= cursor`` ordered by ``pubts`` then ``id``. After a page
the cursor moves to the page's last ``pubts`` and the ids seen at exactly that time are
remembered, so the next request (and the next sync run) drops them: ``pubts`` has
one-second precision and many records share a second.

Pages are windows on the cursor rather than fixed offsets: a record modified while a
run is paging gets a newer ``pubts`` and moves to the end of the list, which would shift
fixed pages and skip one record for good. When a whole page shares one ``pubts`` the
cursor cannot move, and ``pageIndex`` steps on under the same filter. A window is done
when ``pageIndex >= pageCount``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from hub.sdk import StreamState, VendorError

CURSOR_FIELD = "pubts"
SEEN_KEY = "seen_ids"  # StreamState.data: ids already read whose pubts equals the cursor

FetchList = Callable[[dict[str, Any]], Awaitable[Any]]  # list request body -> the answer's ``data``


@dataclass
class ListPage:
    records: list[dict[str, Any]]  # new records only (boundary duplicates dropped)
    state: StreamState  # where the next request, or the next run, starts


def list_body(page_index: int, page_size: int, cursor: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "pageIndex": page_index,
        "pageSize": page_size,
        "isSum": False,
        "queryOrders": [{"field": CURSOR_FIELD, "order": "asc"}, {"field": "id", "order": "asc"}],
    }
    if cursor is not None:
        body["simpleVOs"] = [{"field": CURSOR_FIELD, "op": "egt", "value1": cursor}]
    return body


async def read_list(fetch: FetchList, state: StreamState, *, full: bool, page_size: int,
                    what: str) -> AsyncIterator[ListPage]:
    """Pages of records changed since ``state`` (all of them when ``full``), each with its new state."""
    cursor: str | None = None if full else _text(state.cursor)
    seen: set[str] = set() if full or cursor is None else {str(i) for i in state.data.get(SEEN_KEY) or []}
    page_index = 1
    yielded = False
    while True:
        asked = page_index
        data = await fetch(list_body(asked, page_size, cursor))
        records = _records(data, what)
        if not records:
            break
        fresh = [r for r in records if not (_pubts(r, what) == cursor and _id(r) in seen)]
        last = max(_pubts(r, what) for r in records)
        if cursor is None or last > cursor:
            cursor, page_index = last, 1
            seen = {_id(r) for r in records if _pubts(r, what) == last}
        else:  # the whole page sits on the cursor: step through it under the same filter
            seen |= {_id(r) for r in records}
            page_index += 1
        if fresh:
            yielded = True
            yield ListPage(fresh, StreamState(cursor, {SEEN_KEY: sorted(seen)}))
        if asked >= _page_count(data):  # that window had no page after this one
            break
    if not yielded:  # nothing changed: one empty page, so the run still records where it stands
        yield ListPage([], StreamState(cursor, {SEEN_KEY: sorted(seen)} if cursor is not None else {}))


def _records(data: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(data, dict):
        raise VendorError(f"yonyou {what}: the answer has no data object", details={"vendor": "yonyou"})
    records = data.get("recordList") or []
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise VendorError(f"yonyou {what}: recordList is not a list of records", details={"vendor": "yonyou"})
    return records


def _page_count(data: dict[str, Any]) -> int:
    try:
        return int(data.get("pageCount") or 0)
    except (TypeError, ValueError):
        return 0


def _pubts(record: dict[str, Any], what: str) -> str:
    value = record.get(CURSOR_FIELD)
    if not isinstance(value, str) or not value:
        raise VendorError(f"yonyou {what}: record {record.get('id')!r} has no pubts",
                          details={"vendor": "yonyou", "id": record.get("id")})
    return value


def _id(record: dict[str, Any]) -> str:
    return str(record.get("id"))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
