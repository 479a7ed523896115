"""Keyset pages, newest first, over tables whose ids sort by creation time (``new_id``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Column, Connection, Table, select

MAX_PAGE = 500


def newest_first(
    conn: Connection,
    table: Table,
    *,
    filters: Mapping[str, Any],
    before: str | None,
    limit: int,
    document: Callable[[dict[str, Any]], dict[str, Any]],
    columns: list[Column[Any]] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page and the cursor of the next (the last id shown), or None on the last page.

    Filters whose value is None or empty are not applied.
    """
    limit = max(1, min(limit, MAX_PAGE))
    query = select(*(columns or list(table.c))).order_by(table.c.id.desc()).limit(limit + 1)
    for name, value in filters.items():
        if value:
            query = query.where(table.c[name] == value)
    if before:
        query = query.where(table.c.id < before)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    return [document(r) for r in rows], (rows[-1]["id"] if more else None)
