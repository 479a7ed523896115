"""ExecuteBillQuery reading, without a server: zipping, entry grouping, cursor paging and boundary de-dup.

A fake fetch stands in for the server: it answers ``cursor >= x`` filters over a list
of rows kept in (cursor, id, line) order, with StartRow and Limit, as K3 Cloud does.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from connectors.erp.kingdee.query import FormQuery, group_rows, in_list, quote_literal, read_changes, zip_rows
from hub.sdk import Page, StreamState

ORDERS = FormQuery("SAL_SaleOrder", "FID", ("FID", "FBillNo", "FModifyDate"), entry="FSaleOrderEntry",
                   entry_keys=("FEntryID", "FQty"), entry_id_key="FEntryID")
CUSTOMERS = FormQuery("BD_Customer", "FCUSTID", ("FCUSTID", "FNumber", "FModifyDate"))


class FakeServer:
    def __init__(self, rows: list[list[Any]], cursor_index: int = 2) -> None:
        self.rows = rows
        self.cursor_index = cursor_index
        self.calls: list[tuple[str, int, int]] = []

    async def fetch(self, filter_string: str, start: int, limit: int) -> list[list[Any]]:
        self.calls.append((filter_string, start, limit))
        match = re.search(r"FModifyDate>='([^']*)'", filter_string)
        window = [r for r in self.rows if match is None or r[self.cursor_index] >= match.group(1)]
        return window[start:start + limit]


def order_rows(spec: list[tuple[int, str, int]]) -> list[list[Any]]:
    """(fid, time, lines) -> one row per line."""
    rows = []
    for fid, when, lines in spec:
        rows += [[fid, f"SO{fid}", when, fid * 100 + n, n] for n in range(1, lines + 1)]
    return rows


def read(server: FakeServer, query: FormQuery, state: StreamState | None = None, *, limit: int,
         full: bool = False) -> list[Page]:
    async def go() -> list[Page]:
        return [p async for p in read_changes(server.fetch, query, state or StreamState(), full=full, limit=limit)]

    return asyncio.run(go())


def fids(pages: list[Page], key: str = "FID") -> list[int]:
    return [r[key] for p in pages for r in p.records]


def test_rows_are_zipped_with_the_field_keys_nested_keys_kept_flat() -> None:
    rows = zip_rows(["FNumber", "FCustId.FNumber"], [["SO1", "C001"]])

    assert rows == [{"FNumber": "SO1", "FCustId.FNumber": "C001"}]


def test_entry_rows_of_one_fid_become_one_record_with_lines() -> None:
    records = group_rows(ORDERS, order_rows([(1, "t1", 2), (2, "t1", 1)]))

    assert records == [
        {"FID": 1, "FBillNo": "SO1", "FModifyDate": "t1",
         "FSaleOrderEntry": [{"FEntryID": 101, "FQty": 1}, {"FEntryID": 102, "FQty": 2}]},
        {"FID": 2, "FBillNo": "SO2", "FModifyDate": "t1", "FSaleOrderEntry": [{"FEntryID": 201, "FQty": 1}]},
    ]


def test_a_header_without_lines_has_an_empty_list() -> None:
    [record] = group_rows(ORDERS, [[1, "SO1", "t1", None, None]])

    assert record["FSaleOrderEntry"] == []


def test_filter_literals_are_quoted_safely() -> None:
    assert quote_literal("hub:it's") == "'hub:it''s'"
    assert in_list("FBillNo", ["A", "B'"]) == "FBillNo IN ('A','B''')"


def test_a_page_boundary_never_splits_an_order() -> None:
    server = FakeServer(order_rows([(fid, f"t{fid:03d}", 3) for fid in range(1, 21)]))

    pages = read(server, ORDERS, limit=7)  # 7 rows: two orders and a third cut after one line

    assert fids(pages) == list(range(1, 21))
    assert all(len(r["FSaleOrderEntry"]) == 3 for p in pages for r in p.records)


def test_an_order_with_more_lines_than_a_page_is_carried_across_pages() -> None:
    server = FakeServer(order_rows([(1, "t1", 2), (2, "t2", 12), (3, "t3", 1)]))

    pages = read(server, ORDERS, limit=5)

    records = [r for p in pages for r in p.records]
    assert [r["FID"] for r in records] == [1, 2, 3]
    assert [len(r["FSaleOrderEntry"]) for r in records] == [2, 12, 1]


def test_each_page_restarts_at_its_cursor_so_changes_while_reading_cannot_shift_rows() -> None:
    server = FakeServer(order_rows([(fid, f"t{fid:03d}", 1) for fid in range(1, 11)]))

    read(server, ORDERS, limit=4)

    starts = [(f, s) for f, s, _ in server.calls]
    assert starts[0] == ("", 0)
    assert all(s == 0 for _, s in starts[1:])  # re-anchored on the cursor, not deep StartRow offsets
    assert starts[1][0] == "FModifyDate>='t003'"  # the last complete order of page 1 (order 4 was cut)


def test_the_ids_seen_at_the_last_cursor_value_are_kept_in_the_state() -> None:
    server = FakeServer([[1, "C1", "t1"], [2, "C2", "t2"], [3, "C3", "t2"]])

    [page] = read(server, CUSTOMERS, limit=10)

    assert page.state.to_json() == {"cursor": "t2", "data": {"seen": ["2", "3"]}}


def test_records_at_the_boundary_are_not_read_again_but_new_ones_at_the_same_time_are() -> None:
    server = FakeServer([[1, "C1", "t1"], [2, "C2", "t2"], [3, "C3", "t2"]])
    [first] = read(server, CUSTOMERS, limit=10)
    server.rows.append([4, "C4", "t2"])  # written later within the same timestamp
    server.rows.append([5, "C5", "t3"])

    pages = read(server, CUSTOMERS, first.state, limit=10)

    assert fids(pages, "FCUSTID") == [4, 5]


def test_nothing_changed_yields_one_empty_page_keeping_the_state() -> None:
    server = FakeServer([[1, "C1", "t1"], [2, "C2", "t2"]])
    [first] = read(server, CUSTOMERS, limit=10)

    again = read(server, CUSTOMERS, first.state, limit=10)

    assert [p.records for p in again] == [[]]
    assert again[0].state.to_json() == first.state.to_json()


def test_more_rows_at_one_timestamp_than_a_page_are_paged_with_start_row() -> None:
    server = FakeServer([[fid, f"C{fid}", "t1"] for fid in range(1, 26)] + [[26, "C26", "t2"]])

    pages = read(server, CUSTOMERS, limit=10)

    assert fids(pages, "FCUSTID") == list(range(1, 27))
    assert max(start for _, start, _ in server.calls) >= 10


def test_a_modified_record_comes_again_with_its_new_time() -> None:
    server = FakeServer([[1, "C1", "t1"], [2, "C2", "t2"]])
    [first] = read(server, CUSTOMERS, limit=10)
    server.rows = [[2, "C2", "t2"], [1, "C1*", "t3"]]

    pages = read(server, CUSTOMERS, first.state, limit=10)

    assert [r["FNumber"] for p in pages for r in p.records] == ["C1*"]


def test_a_full_read_ignores_the_state() -> None:
    server = FakeServer([[1, "C1", "t1"], [2, "C2", "t2"]])
    [first] = read(server, CUSTOMERS, limit=10)

    pages = read(server, CUSTOMERS, first.state, limit=10, full=True)

    assert fids(pages, "FCUSTID") == [1, 2]


def test_a_line_read_twice_across_pages_counts_once() -> None:
    rows = order_rows([(1, "t1", 2)])

    [record] = group_rows(ORDERS, [*rows, rows[1]])

    assert [line["FEntryID"] for line in record["FSaleOrderEntry"]] == [101, 102]
