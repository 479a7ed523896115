"""Plain-text output shared by the sync commands: aligned tables and counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

COUNT_NAMES = ("read", "created", "updated", "unchanged", "quarantined", "deleted")


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    """``columns`` are (TITLE, key); missing values show as ``-``."""
    cells = [[title for title, _ in columns]]
    cells += [["-" if row.get(key) in (None, "") else str(row[key]) for _, key in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells)


def counts_text(counts: Mapping[str, int]) -> str:
    """``120 read: 100 created, 10 updated, 8 unchanged, 2 quarantined, 0 deleted``."""
    rest = ", ".join(f"{counts.get(name, 0):,} {name}" for name in COUNT_NAMES[1:])
    return f"{counts.get('read', 0):,} read: {rest}"
