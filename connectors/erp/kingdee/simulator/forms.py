"""The simulator's tables: documents of one form, kept sorted for fast ExecuteBillQuery paging.

A document is a header (values in ``header_keys`` order) and its entry lines (values
in ``entry_keys`` order). Queries that ask for entry fields return one row per line,
the header repeated (a header without lines gives one row with empty entry fields).

The documents are kept sorted by ``(FModifyDate, id)`` with a running count of rows,
so the connector's query (``FModifyDate >= x``, ordered by date, id, entry id, any
StartRow) is two binary searches and a slice. Every other filter or order is
answered by a scan, which is fine for the small queries that use them.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from connectors.erp.kingdee.simulator.filters import (
    FilterError,
    Term,
    is_date_key,
    matches,
    normalize_time,
    parse_filter,
    parse_order,
)

CURSOR = "FModifyDate"


@dataclass(frozen=True)
class FormDef:
    form_id: str
    id_key: str
    number_key: str
    header_keys: tuple[str, ...]
    entry: str | None = None
    entry_keys: tuple[str, ...] = ()  # the first is the entry id
    number_prefix: str = ""
    date_key: str = "FDate"  # the business date a new document gets when the Save has none

    @property
    def entry_id_key(self) -> str | None:
        return self.entry_keys[0] if self.entry_keys else None


Line = tuple[Any, ...]


class Doc:
    __slots__ = ("header", "lines")

    def __init__(self, header: list[Any], lines: list[Line]) -> None:
        self.header = header
        self.lines = lines


class FormStore:
    def __init__(self, form: FormDef) -> None:
        self.form = form
        self.h = {key: i for i, key in enumerate(form.header_keys)}
        self.e = {key: i for i, key in enumerate(form.entry_keys)}
        self.id_i, self.number_i, self.cursor_i = self.h[form.id_key], self.h[form.number_key], self.h[CURSOR]
        self.docs: dict[int, Doc] = {}
        self.by_number: dict[str, int] = {}
        self._sorted: list[Doc] = []
        self._keys: list[tuple[str, int]] = []
        self._row_start: list[int] = [0]
        self._lookups: dict[str, dict[str, list[int]]] = {}  # key -> value -> positions in _sorted
        self._dirty = True
        self.next_id = 100001
        self.next_entry_id = 100001
        self.next_number = 1

    # -- writing ----------------------------------------------------------------------------

    def add(self, header: dict[str, Any], lines: list[dict[str, Any]] | None = None) -> Doc:
        """Insert a document; the id, number (when absent) and entry ids are assigned here."""
        values = [header.get(key) for key in self.form.header_keys]
        fid = values[self.id_i] = self.next_id
        self.next_id += 1
        if not values[self.number_i]:
            values[self.number_i] = f"{self.form.number_prefix}{self.next_number:06d}"
            self.next_number += 1
        doc = Doc(values, [self._line(line) for line in lines or []])
        self.docs[fid] = doc
        self.by_number[str(values[self.number_i])] = fid
        self._dirty = True
        return doc

    def _line(self, line: dict[str, Any]) -> Line:
        values = [line.get(key) for key in self.form.entry_keys]
        if self.form.entry_keys:
            values[0] = self.next_entry_id
            self.next_entry_id += 1
        return tuple(values)

    def set_lines(self, doc: Doc, lines: list[dict[str, Any]]) -> None:
        doc.lines = [self._line(line) for line in lines]
        self._dirty = True

    def update(self, doc: Doc, changes: dict[str, Any], modified: str) -> None:
        """Set header fields; an entry field (``FStatus`` of PRD_MO's rows, say) is set on every row."""
        for key, value in changes.items():
            if key in self.e and key not in self.h and self.e[key] != 0:
                doc.lines = [(*line[:self.e[key]], value, *line[self.e[key] + 1:]) for line in doc.lines]
            elif key in self.h and key not in (self.form.id_key, CURSOR):
                if key == self.form.number_key:
                    self.by_number.pop(str(doc.header[self.number_i]), None)
                    self.by_number[str(value)] = doc.header[self.id_i]
                doc.header[self.h[key]] = value
        doc.header[self.cursor_i] = modified
        self._dirty = True

    def delete(self, doc: Doc) -> None:
        self.docs.pop(doc.header[self.id_i], None)
        self.by_number.pop(str(doc.header[self.number_i]), None)
        self._dirty = True

    def find(self, number: str) -> Doc | None:
        fid = self.by_number.get(str(number))
        return self.docs.get(fid) if fid is not None else None

    def get(self, key: str, doc: Doc) -> Any:
        return doc.header[self.h[key]]

    def as_dict(self, doc: Doc) -> dict[str, Any]:
        out = dict(zip(self.form.header_keys, doc.header, strict=True))
        if self.form.entry:
            out[self.form.entry] = [dict(zip(self.form.entry_keys, line, strict=True)) for line in doc.lines]
        return out

    # -- reading ----------------------------------------------------------------------------

    def _index(self) -> None:
        if not self._dirty:
            return
        self._sorted = sorted(self.docs.values(), key=lambda d: (d.header[self.cursor_i] or "", d.header[self.id_i]))
        self._keys = [(d.header[self.cursor_i] or "", d.header[self.id_i]) for d in self._sorted]
        starts, total = [0], 0
        for doc in self._sorted:
            total += max(1, len(doc.lines))
            starts.append(total)
        self._row_start = starts
        self._lookups = {}
        self._dirty = False

    def _plan(self, keys: list[str]) -> list[tuple[bool, int]]:
        plan = []
        for key in keys:
            if key in self.h:
                plan.append((False, self.h[key]))
            elif key in self.e:
                plan.append((True, self.e[key]))
            else:
                raise FilterError(f"元数据中标识为{key}的字段不存在 (form {self.form.form_id} has no field {key})")
        return plan

    def query(
        self, field_keys: list[str], filter_string: str, order_string: str, start: int, limit: int, top: int
    ) -> list[list[Any]]:
        plan = self._plan(field_keys)
        terms = parse_filter(filter_string)
        order = parse_order(order_string)
        self._plan([t.key for t in terms] + [key for key, _ in order])  # unknown keys are errors
        with_lines = any(is_entry for is_entry, _ in plan) or any(k in self.e for k in (t.key for t in terms))
        if limit <= 0:
            limit = 10**9
        if top > 0:
            limit = max(0, min(limit, top - start))
        self._index()
        if self._fast(terms, order):
            pairs = self._fast_rows(terms, start, limit, with_lines)
        else:
            pairs = self._scan(terms, order, with_lines)[start:start + limit]
        return [[(line[i] if line is not None else None) if is_entry else doc.header[i] for is_entry, i in plan]
                for doc, line in pairs]

    def _fast(self, terms: tuple[Term, ...], order: tuple[tuple[str, bool], ...]) -> bool:
        natural = [(CURSOR, False), (self.form.id_key, False)]
        if self.form.entry_id_key:
            natural.append((self.form.entry_id_key, False))
        return (all(t.key == CURSOR and t.op in (">=", ">") for t in terms) and len(terms) <= 1
                and list(order) == natural[:len(order)])

    def _fast_rows(
        self, terms: tuple[Term, ...], start: int, limit: int, with_lines: bool
    ) -> list[tuple[Doc, Line | None]]:
        first = 0
        if terms:
            literal = normalize_time(terms[0].values[0])
            probe = (literal, 10**18) if terms[0].op == ">" else (literal, -1)
            first = bisect.bisect_right(self._keys, probe) if terms[0].op == ">" else bisect.bisect_left(
                self._keys, probe)
        docs = self._sorted
        if not with_lines:
            return [(doc, None) for doc in docs[first + start:first + start + limit]]
        target = self._row_start[first] + start
        index = bisect.bisect_right(self._row_start, target) - 1
        if index >= len(docs):
            return []
        line = target - self._row_start[index]
        out: list[tuple[Doc, Line | None]] = []
        while index < len(docs) and len(out) < limit:
            doc = docs[index]
            if doc.lines:
                out.extend((doc, ln) for ln in doc.lines[line:line + limit - len(out)])
            else:
                out.append((doc, None))
            index, line = index + 1, 0
        return out

    def _scan(
        self, terms: tuple[Term, ...], order: tuple[tuple[str, bool], ...], with_lines: bool
    ) -> list[tuple[Doc, Line | None]]:
        checks = [(t, is_date_key(t.key)) for t in terms]
        none: list[Line | None] = [None]
        rows: list[tuple[Doc, Line | None]] = [
            (doc, line)
            for doc in self._candidates(terms)
            for line in ((doc.lines or none) if with_lines else none)
            if all(matches(self._value((doc, line), t.key), t, is_time=is_time) for t, is_time in checks)
        ]
        for key, descending in reversed(order):
            rows.sort(key=self._sort_key(key), reverse=descending)
        return rows

    def _candidates(self, terms: tuple[Term, ...]) -> list[Doc]:
        """The documents the most selective ``=``/``IN`` term allows (per-key indexes), else all of them."""
        best: list[int] | None = None
        for term in terms:
            if term.op not in ("=", "in") or is_date_key(term.key):
                continue
            index = self._lookup(term.key)
            positions = sorted({p for value in term.values for p in index.get(_index_text(value), ())})
            if best is None or len(positions) < len(best):
                best = positions
        return self._sorted if best is None else [self._sorted[p] for p in best]

    def _lookup(self, key: str) -> dict[str, list[int]]:
        index = self._lookups.get(key)
        if index is None:
            index = self._lookups[key] = {}
            for position, doc in enumerate(self._sorted):
                values = [doc.header[self.h[key]]] if key in self.h else [line[self.e[key]] for line in doc.lines]
                for value in dict.fromkeys(_index_text(v) for v in values):
                    index.setdefault(value, []).append(position)
        return index

    def _sort_key(self, key: str) -> Callable[[tuple[Doc, Line | None]], tuple[int, Any]]:
        return lambda pair: _sort_value(self._value(pair, key))

    def _value(self, pair: tuple[Doc, Line | None], key: str) -> Any:
        doc, line = pair
        if key in self.h:
            return doc.header[self.h[key]]
        return line[self.e[key]] if line is not None else None

    def __iter__(self) -> Iterator[Doc]:
        self._index()
        return iter(self._sorted)

    def __len__(self) -> int:
        return len(self.docs)


def _index_text(value: Any) -> str:
    """One spelling per value, so the literal 100001 finds the id 100001 whether read as int or float."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return "" if value is None else str(value)


def _sort_value(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value))
