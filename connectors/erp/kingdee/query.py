"""Reading a form with ExecuteBillQuery: zipping rows into records, grouping entry rows, paging by cursor.

A query names its columns once (``FieldKeys``) and gets back bare rows; :func:`zip_rows`
turns them into records keyed by those names (``FCustId.FNumber`` stays one flat key).
A query with entry fields returns one row per entry line; :func:`group_rows` folds the
rows of one ``FID`` into one record whose lines are a list under the entry's name.

:func:`read_changes` pages a form in ``(cursor, id)`` order from a stream state:

- the filter is ``cursor >= anchor`` (many rows share one timestamp), and the ids
  already seen *at* the anchor are kept in the state and dropped when they come again;
- after a page the anchor moves to the last complete record and the next page starts
  again at ``StartRow`` 0, so rows that change while we read cannot shift the window
  under us; only when a whole page shares the anchor does it page on with ``StartRow``;
- a page that ends inside a record holds that record back (or carries its rows into the
  next page when one record fills a whole page), so an order is never split.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hub.sdk import Page, StreamState

Record = dict[str, Any]
Fetch = Callable[[str, int, int], Awaitable[list[list[Any]]]]  # (filter, start row, limit) -> rows


@dataclass(frozen=True)
class FormQuery:
    """Which columns of a form a stream reads and how its rows fold into records."""

    form_id: str
    id_key: str  # the internal id: FID (FCUSTID for customers)
    header_keys: tuple[str, ...]
    cursor_key: str = "FModifyDate"
    entry: str | None = None  # the list name lines are grouped under ("FSaleOrderEntry")
    entry_keys: tuple[str, ...] = ()
    entry_id_key: str | None = None  # orders the lines ("FSaleOrderEntry_FEntryID")
    base_filter: str = ""

    @property
    def field_keys(self) -> tuple[str, ...]:
        return self.header_keys + self.entry_keys

    @property
    def order_string(self) -> str:
        keys = [self.cursor_key, self.id_key] + ([self.entry_id_key] if self.entry_id_key else [])
        return ",".join(f"{key} ASC" for key in keys)

    def filter_from(self, anchor: Any) -> str:
        parts = [self.base_filter] if self.base_filter else []
        if anchor is not None:
            parts.append(f"{self.cursor_key}>={quote_literal(anchor)}")
        return " AND ".join(parts)


def quote_literal(value: Any) -> str:
    """A FilterString literal: numbers bare, text in single quotes with quotes doubled."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def in_list(key: str, values: Sequence[Any]) -> str:
    return f"{key} IN ({','.join(quote_literal(v) for v in values)})"


def zip_rows(keys: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[Record]:
    return [dict(zip(keys, row, strict=True)) for row in rows]


@dataclass
class _Group:
    id: Any
    cursor: Any
    rows: list[list[Any]]


def _groups(query: FormQuery, rows: Sequence[list[Any]], carry: _Group | None) -> list[_Group]:
    keys = query.field_keys
    id_index, cursor_index = keys.index(query.id_key), keys.index(query.cursor_key)
    groups: list[_Group] = [carry] if carry is not None else []
    for row in rows:
        if query.entry is not None and groups and groups[-1].id == row[id_index]:
            groups[-1].rows.append(row)
        else:
            groups.append(_Group(row[id_index], row[cursor_index], [row]))
    return groups


def group_rows(query: FormQuery, rows: Sequence[list[Any]]) -> list[Record]:
    """Rows (in id order) -> records; with an entry, one record per id with its lines under ``query.entry``."""
    return [_record(query, group) for group in _groups(query, rows, None)]


def _record(query: FormQuery, group: _Group) -> Record:
    header_width = len(query.header_keys)
    record = dict(zip(query.header_keys, group.rows[0], strict=False))
    if query.entry is not None:
        entry_keys = query.entry_keys
        rows = group.rows
        if query.entry_id_key is not None and len(rows) > 1:  # a line read twice across pages counts once
            at = header_width + entry_keys.index(query.entry_id_key)
            rows = list({row[at]: row for row in rows}.values())
        lines = [dict(zip(entry_keys, row[header_width:], strict=True)) for row in rows]
        # A header without lines comes back as one row whose entry columns are all empty.
        record[query.entry] = [line for line in lines if any(v not in (None, "", 0) for v in line.values())]
    return record


def _seen_key(value: Any) -> str:
    return str(value)


async def read_changes(
    fetch: Fetch, query: FormQuery, state: StreamState, *, full: bool, limit: int
) -> AsyncIterator[Page]:
    """Pages of records changed since ``state`` (every record when ``full``), each with the state after it."""
    anchor: Any = None if full else state.cursor
    seen: set[str] = set() if full else {str(i) for i in state.data.get("seen", [])}
    offset = 0
    carry: _Group | None = None
    yielded = False
    while True:
        rows = await fetch(query.filter_from(anchor), offset, limit)
        page_full = len(rows) >= limit
        groups = _groups(query, rows, carry)
        # The last record of a full page may go on in the next one (only records with lines can).
        tail = groups.pop() if page_full and groups and query.entry is not None else None
        if groups:
            new_anchor = groups[-1].cursor
            fresh = [g for g in groups if not (g.cursor == anchor and _seen_key(g.id) in seen)]
            at_anchor = {_seen_key(g.id) for g in groups if g.cursor == new_anchor}
            if new_anchor == anchor:
                seen |= at_anchor
                offset += len(rows)  # the whole page shares the anchor: page on in the same window
                carry = tail
            else:
                seen = at_anchor
                offset, carry = 0, None  # re-anchor: the held-back record is read again from its start
            anchor = new_anchor
            if fresh:
                yielded = True
                yield Page([_record(query, g) for g in fresh], StreamState(anchor, {"seen": sorted(seen)}))
        else:
            offset += len(rows)  # one record fills the page: carry its rows on
            carry = tail
        if not page_full:
            break
    if not yielded:  # nothing changed: one empty page, so the run still records where it stands
        yield Page([], StreamState(anchor, {"seen": sorted(seen)}))
