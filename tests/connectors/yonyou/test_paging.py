"""pubts paging: every record read once per change, none skipped, boundary duplicates dropped."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

from connectors.erp.yonyou.paging import SEEN_KEY, ListPage, list_body, read_list
from connectors.erp.yonyou.simulator.query import run_query
from hub.sdk import StreamState


class FakeList:
    """A list API over in-memory records (the simulator's query engine), counting requests."""

    def __init__(self, records: list[dict[str, Any]], after_request: Callable[[int], None] | None = None) -> None:
        self.records = records
        self.requests: list[dict[str, Any]] = []
        self.after_request = after_request

    async def __call__(self, body: dict[str, Any]) -> Any:
        self.requests.append(body)
        data = copy.deepcopy(run_query(self.records, body, max_page_size=500))  # an answer is a copy
        if self.after_request is not None:
            self.after_request(len(self.requests))
        return data


def _rec(record_id: str, pubts: str) -> dict[str, Any]:
    return {"id": record_id, "pubts": pubts}


def _read(fake: FakeList, state: StreamState | None = None, *, full: bool = False, size: int = 2) -> list[ListPage]:
    async def collect() -> list[ListPage]:
        return [p async for p in read_list(fake, state or StreamState(), full=full, page_size=size, what="x/list")]

    return asyncio.run(collect())


def _ids(pages: list[ListPage]) -> list[str]:
    return [r["id"] for p in pages for r in p.records]


def test_the_request_filters_pubts_egt_the_cursor_and_orders_by_pubts_then_id() -> None:
    body = list_body(3, 500, "2024-05-01 10:00:00")

    assert body == {"pageIndex": 3, "pageSize": 500, "isSum": False,
                    "simpleVOs": [{"field": "pubts", "op": "egt", "value1": "2024-05-01 10:00:00"}],
                    "queryOrders": [{"field": "pubts", "order": "asc"}, {"field": "id", "order": "asc"}]}
    assert "simpleVOs" not in list_body(1, 500, None)


def test_a_first_read_gets_everything_once_and_ends_on_the_last_page() -> None:
    fake = FakeList([_rec(f"r{i}", f"2024-05-01 10:00:0{i}") for i in range(5)])

    pages = _read(fake)

    assert _ids(pages) == ["r0", "r1", "r2", "r3", "r4"]
    assert pages[-1].state == StreamState("2024-05-01 10:00:04", {SEEN_KEY: ["r4"]})
    assert len(fake.requests) == 4  # each window starts at the last one's boundary record


def test_records_at_the_saved_cursor_already_seen_are_dropped_and_new_ones_kept() -> None:
    fake = FakeList([_rec("a", "T2"), _rec("b", "T2"), _rec("c", "T2"), _rec("d", "T3"), _rec("z", "T1")])
    state = StreamState("T2", {SEEN_KEY: ["a", "b"]})

    pages = _read(fake, state, size=500)

    assert _ids(pages) == ["c", "d"]
    assert pages[-1].state == StreamState("T3", {SEEN_KEY: ["d"]})


def test_nothing_changed_gives_one_empty_page_with_the_same_state() -> None:
    fake = FakeList([_rec("a", "T1"), _rec("b", "T2")])
    state = StreamState("T2", {SEEN_KEY: ["b"]})

    assert _read(fake, state) == [ListPage([], state)]
    assert len(fake.requests) == 1


def test_an_empty_list_gives_one_empty_page() -> None:
    assert _read(FakeList([])) == [ListPage([], StreamState())]


def test_a_full_read_ignores_the_saved_cursor() -> None:
    fake = FakeList([_rec("a", "T1"), _rec("b", "T2")])

    assert _ids(_read(fake, StreamState("T2", {SEEN_KEY: ["b"]}), full=True)) == ["a", "b"]


def test_more_records_in_one_second_than_a_page_holds_are_stepped_through() -> None:
    fake = FakeList([_rec(f"r{i}", "T1") for i in range(5)] + [_rec("late", "T2")])

    pages = _read(fake, size=2)

    assert sorted(_ids(pages)) == ["late", "r0", "r1", "r2", "r3", "r4"]
    assert len(_ids(pages)) == 6


def test_a_record_modified_while_paging_is_not_skipped() -> None:
    records = [_rec(f"r{i}", f"T{i}") for i in range(6)]

    def modify_r0_after_first_page(request_no: int) -> None:
        if request_no == 1:
            records[0]["pubts"] = "T9"  # moves to the end: fixed offsets would now skip r2

    pages = _read(FakeList(records, modify_r0_after_first_page), size=2)

    assert set(_ids(pages)) == {f"r{i}" for i in range(6)}
    assert _ids(pages)[-1] == "r0"  # read again with its new pubts


def test_the_state_of_each_page_resumes_exactly_after_it() -> None:
    fake = FakeList([_rec(f"r{i}", "T1" if i < 3 else "T2") for i in range(6)])
    first_page = _read(fake, size=2)[0]

    rest = _read(fake, first_page.state, size=2)

    assert _ids([first_page]) + _ids(rest) == ["r0", "r1", "r2", "r3", "r4", "r5"]
