"""Compiling a checked spec into plain Python functions.

``fields`` becomes one generated function per mapping (and one per ``each`` list),
the same straight-line code a programmer would write by hand: a dict lookup per
path, a call per pipe step, a table lookup per ``map``. The generated source only
ever contains field names as string literals (``repr``) and references to
functions and constants built here, so nothing from a mapping file is executed.
The reverse direction (pushes) is built from closures: it runs once per push,
not once per pulled record.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hub.mapping.paths import Path, getter, setter, walk
from hub.mapping.spec import NO_DEFAULT, FieldRule, Lookup, map_key
from hub.mapping.steps import StepError

Record = dict[str, Any]
Transform = Callable[[Any], Record]


class FieldFailure(Exception):
    """A field could not be produced; the mapping turns it into a MappingError with the record id."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__(reason)
        self.field, self.value, self.reason = field, value, reason


class _Missing(Exception):
    pass


_NOT_IN_MAP: Any = object()


@dataclass(frozen=True)
class PendingLookup:
    """A value to translate through the crosswalk once the whole page is mapped."""

    lookup: Lookup
    value: str
    to_external: bool  # False: vendor id -> canonical id (pull); True: canonical id -> vendor id (push)
    # pushes: the rest of the reversed rule (map inverted, steps undone), run on the vendor id once found
    then: Callable[[Any], Any] | None = field(default=None, compare=False)


def id_text(value: Any) -> str:
    """A vendor id as the crosswalk stores it: numbers read as floats lose their ``.0`` (1001.0 -> "1001")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _failure(field: str | None, value: Any, exc: Exception) -> FieldFailure:
    if isinstance(exc, FieldFailure):
        return exc
    # Anything else is an odd vendor value meeting a step: say what happened, never crash the run.
    reason = str(exc) if isinstance(exc, StepError | _Missing) else f"{type(exc).__name__}: {exc}"
    return FieldFailure(field or "?", value, reason)


def _not_in_map(value: Any, table: dict[str, Any]) -> StepError:
    known = ", ".join(sorted(table)[:12])
    return StepError(f"{value!r} is not in the map (known: {known}); add it or give a default")


class _Codegen:
    """Writes the source of one transform function and holds the objects it refers to."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "_failure": _failure, "_FieldFailure": FieldFailure, "_Missing": _Missing, "_NOMAP": _NOT_IN_MAP,
            "_key": map_key, "_walk": walk, "_deepcopy": copy.deepcopy, "_not_in_map": _not_in_map,
            "_Pending": PendingLookup, "_StepError": StepError, "_id_text": id_text,
        }
        self.count = 0

    def ref(self, value: Any, prefix: str) -> str:
        self.count += 1
        name = f"_{prefix}{self.count}"
        self.namespace[name] = value
        return name

    def compile(self, rules: tuple[FieldRule, ...], *, vendor_output: bool) -> Transform:
        lines = ["def transform(r):", "    if r.__class__ is not dict:",
                 "        raise _FieldFailure('(record)', None, 'a record must be a JSON object')",
                 "    out = {}", "    f = None", "    v = None", "    try:"]
        for rule in rules:
            lines += self.rule(rule, vendor_output)
        lines += ["    except Exception as exc:", "        raise _failure(f, v, exc) from None", "    return out"]
        source = "\n".join(lines)
        code = compile(source, f"<mapping transform {self.count}>", "exec")
        exec(code, self.namespace)  # noqa: S102 - source built above from literals and references only
        transform: Transform = self.namespace.pop("transform")
        transform.__doc__ = source  # readable with help() when debugging a mapping
        return transform

    def rule(self, rule: FieldRule, vendor_output: bool) -> list[str]:
        i = "        "
        out = [f"{i}f = {rule.name!r}"]
        out += self.source(rule, i, vendor_output)
        if rule.steps:
            out.append(f"{i}if v is not None:")
            j = i + "    "
            for number, step in enumerate(rule.steps, 1):
                if step.scalar is None:
                    out.append(f"{j}v = {self.ref(step.forward, 's')}(v)")
                else:  # the list check inline saves a call per step on the common single value
                    fn = self.ref(step.scalar, "s")
                    out.append(f"{j}v = {fn}(v) if v.__class__ is not list else [{fn}(x) for x in v]")
                if step.may_empty and number < len(rule.steps):  # a step never sees a missing value
                    out.append(f"{j}if v is not None:")
                    j += "    "
        if rule.map is not None:
            table = self.ref(dict(rule.map), "m")
            out += [f"{i}if v is not None:",
                    f"{i}    o = {table}.get(v if v.__class__ is str else _key(v), _NOMAP)",
                    f"{i}    if o is _NOMAP:"]
            if rule.default is not NO_DEFAULT:
                out.append(f"{i}        v = {self.default(rule.default)}")
            else:
                out.append(f"{i}        raise _not_in_map(v, {table})")
            out += [f"{i}    else:", f"{i}        v = o"]
        if rule.lookup is not None:
            lookup = self.ref(rule.lookup, "l")
            out += [f"{i}if v is not None:", f"{i}    v = _Pending({lookup}, _id_text(v), {vendor_output!r})"]
        out.append(f"{i}if v is None:")
        if rule.default is not NO_DEFAULT:
            out.append(f"{i}    v = {self.default(rule.default)}")
        elif rule.required:
            where = " or ".join(p.text for p in rule.paths + rule.template_paths) or "the record"
            out.append(f"{i}    raise _Missing({f'no value at {where} and no default (or write required: false)'!r})")
        else:
            out.append(f"{i}    pass")
        if vendor_output:
            write = f"{self.ref(setter(_vendor_path(rule.name)), 'w')}(out, v)"
            if rule.default is NO_DEFAULT:  # like reversed fields: no value, nothing written (never a null)
                out += [f"{i}if v is not None:", f"{i}    {write}"]
            else:
                out.append(f"{i}{write}")
        else:
            out.append(f"{i}out[{rule.name!r}] = v")
        return out

    def default(self, value: Any) -> str:
        """A constant from the spec, copied now so later changes to the spec object cannot reach it."""
        if isinstance(value, list | dict):
            return f"_deepcopy({self.ref(copy.deepcopy(value), 'd')})"  # and a fresh copy per record
        return self.ref(value, "d")

    def source(self, rule: FieldRule, i: str, vendor_output: bool) -> list[str]:
        if rule.source == "const":
            return [f"{i}v = {self.default(rule.const)}"]
        if rule.source == "template":
            return self.template(rule, i)
        if rule.source == "each":
            return [f"{i}v = {self.ref(_each(rule, vendor_output), 'e')}(r)"]
        lines = self.read(rule.paths[0], i)
        for path in rule.paths[1:]:  # first non-empty wins
            lines.append(f"{i}if v is None or v == '' or v == []:")
            lines += self.read(path, i + "    ")
        if len(rule.paths) > 1:  # none of them had a value: missing, for default/required to decide
            lines += [f"{i}if v == '' or v == []:", f"{i}    v = None"]
        return lines

    def template(self, rule: FieldRule, i: str) -> list[str]:
        """Inline string building; a missing part makes the whole field missing."""
        import string

        lines: list[str] = []
        pieces: list[str] = []
        names: dict[str, str] = {}
        for literal, name, _spec, _conversion in string.Formatter().parse(rule.template or ""):
            if literal:
                pieces.append(repr(literal))
            if name is None:
                continue
            if name not in names:
                names[name] = f"t{len(names)}"
                lines += self.read(_vendor_path(name), i, names[name])
            pieces.append(f"str({names[name]})")
        missing = " or ".join(f"{n} is None" for n in names.values()) or "False"
        lines.append(f"{i}v = None if {missing} else {' + '.join(pieces) or repr('')}")
        return lines

    def read(self, path: Path, i: str, var: str = "v") -> list[str]:
        """Code that sets ``var`` to the value at ``path`` in ``r`` (None when absent)."""
        if path.is_simple:
            return [f"{i}{var} = r.get({path.parts[0]!r})"]
        lines = [f"{i}{var} = r.get({path.text!r})", f"{i}if {var} is None:"]
        if len(path.parts) == 2 and all(isinstance(p, str) for p in path.parts):
            # a.b: the flat key "a.b" was tried above, so only the nested walk is left
            outer, inner = path.parts
            return [*lines, f"{i}    {var} = r.get({outer!r})",
                    f"{i}    {var} = {var}.get({inner!r}) if {var}.__class__ is dict else None"]
        return [*lines, f"{i}    {var} = _walk(r, {self.ref(path.parts, 'p')})"]

def _each(rule: FieldRule, vendor_output: bool) -> Callable[[Record], list[Record] | None]:
    """Sub-records of a list; in ``push.fields`` their names are vendor paths, written nested like the rest."""
    get_items = getter(rule.paths[0])
    transform = _Codegen().compile(rule.subfields, vendor_output=vendor_output) if rule.subfields else None
    name = rule.name

    def each(record: Record) -> list[Record] | None:
        items = get_items(record)
        if items is None:
            return None
        if not isinstance(items, list):
            raise StepError(f"each: expected a list at {rule.paths[0].text}, got {type(items).__name__}")
        result = []
        for index, item in enumerate(items):
            if item.__class__ is not dict:
                reason = f"expected a sub-record (object), got {type(item).__name__}"
                raise FieldFailure(f"{name}[{index}]", item, reason)
            try:
                result.append(transform(item) if transform else item)
            except FieldFailure as failure:
                raise FieldFailure(f"{name}[{index}].{failure.field}", failure.value, failure.reason) from None
        return result

    return each


def _vendor_path(text: str) -> Path:
    from hub.mapping.paths import parse_path

    return parse_path(text)


def compile_forward(rules: tuple[FieldRule, ...]) -> Transform:
    """Vendor record -> canonical fields."""
    return _Codegen().compile(rules, vendor_output=False)


def compile_push(rules: tuple[FieldRule, ...]) -> Transform:
    """Canonical record -> vendor fields, for the rules written in ``push.fields``."""
    return _Codegen().compile(rules, vendor_output=True)


Reverser = Callable[[Record, Record], None]


def compile_reverse(rules: tuple[FieldRule, ...]) -> tuple[Reverser, tuple[str, ...]]:
    """Canonical record -> vendor fields for every reversible rule; also the fields skipped.

    Skipped fields of ``each`` sub-records are listed as ``lines[].title``.
    """
    reversers = []
    skipped: list[str] = []
    for rule in rules:
        if rule.reversible:
            reverser, inner_skipped = _reverse_rule(rule)
            reversers.append(reverser)
            skipped += inner_skipped
        else:
            skipped.append(rule.name)

    def reverse(canonical: Record, out: Record) -> None:
        for reverse_one in reversers:
            reverse_one(canonical, out)

    return reverse, tuple(skipped)


def reverse_table(rule: FieldRule) -> dict[str, Any]:
    """Canonical value (as a map key) -> vendor value: the map inverted where that is unambiguous,
    overridden by ``reverse_map`` (which a many-to-one map needs for its shared values)."""
    assert rule.map is not None
    owners: dict[str, list[str]] = {}
    for vendor, canonical in rule.map.items():
        owners.setdefault(map_key(canonical), []).append(vendor)
    table = {canonical: vendors[0] for canonical, vendors in owners.items() if len(vendors) == 1}
    table.update(rule.reverse_map or {})
    return table


def _reverse_rule(rule: FieldRule) -> tuple[Reverser, list[str]]:
    write = setter(rule.paths[0])
    name = rule.name
    if rule.source == "each":
        inner, inner_skipped = compile_reverse(tuple(sub for sub in rule.subfields if sub.reversible))
        skipped = [f"{name}[].{sub.name}" for sub in rule.subfields if not sub.reversible]
        skipped += [f"{name}[].{sub}" for sub in inner_skipped]

        def reverse_each(canonical: Record, out: Record) -> None:
            items = canonical.get(name)
            if items is None:
                return
            if not isinstance(items, list):
                raise FieldFailure(name, items, f"expected a list of sub-records, got {type(items).__name__}")
            converted = []
            for index, item in enumerate(items):
                here = f"{name}[{index}]"
                if not isinstance(item, dict):
                    raise FieldFailure(here, item, f"expected a sub-record (object), got {type(item).__name__}")
                vendor_item: Record = {}
                try:
                    inner(item, vendor_item)
                except FieldFailure as failure:
                    raise FieldFailure(f"{here}.{failure.field}", failure.value, failure.reason) from None
                converted.append(vendor_item)
            write(out, converted)

        return reverse_each, skipped

    table = reverse_table(rule) if rule.map is not None else None
    steps = [step.reverse for step in reversed(rule.steps) if step.reverse is not None]
    lookup = rule.lookup

    def undo(value: Any) -> Any:
        """The map inverted, then the steps undone in reverse order."""
        if table is not None:
            key = map_key(value)
            if key not in table:
                known = ", ".join(sorted(table)[:12])
                raise StepError(f"{value!r} has no vendor value in the map (known: {known}; write reverse_map)")
            value = table[key]
        for step in steps:
            value = step(value)
        return value

    def reverse_value(canonical: Record, out: Record) -> None:
        value = canonical.get(name)
        if value is None:
            return
        try:
            if lookup is not None:  # the crosswalk first; the rest once the page's lookups are resolved
                then = undo if table is not None or steps else None
                write(out, PendingLookup(lookup, id_text(value), True, then))
            else:
                write(out, undo(value))
        except FieldFailure:
            raise
        except Exception as exc:  # an odd canonical value meeting a step: a failed push, never a crash
            raise _failure(name, value, exc) from None

    return reverse_value, []
