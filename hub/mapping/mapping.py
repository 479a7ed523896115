"""``Mapping``: a compiled mapping file, applied to vendor records and reversed for pushes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path as FilePath
from typing import Any

from hub.errors import MappingError
from hub.logs import mask_personal_data
from hub.mapping.compiler import FieldFailure, compile_forward, compile_push, compile_reverse, id_text
from hub.mapping.lookups import LookupResolver, Slot, find_pending, mark_unresolved, resolve_slots
from hub.mapping.paths import getter
from hub.mapping.spec import FieldRule, MappingSpec, read_spec
from hub.workspace.yamlfile import config_error

PERSONAL_FIELDS = frozenset({"phones", "emails", "address"})


@dataclass(frozen=True)
class MappingResult:
    """One record of a page: its canonical fields, or why it failed (quarantine it)."""

    index: int
    raw: Any
    external_id: str | None
    fields: dict[str, Any] | None = None
    error: MappingError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Mapping:
    """Build with :func:`load_mapping`. Compiled once; ``apply`` never re-reads the spec."""

    def __init__(self, spec: MappingSpec) -> None:
        self.spec = spec
        self._forward = compile_forward(spec.fields)
        self._id = getter(spec.id_path)
        self._cursor = getter(spec.cursor_path) if spec.cursor_path else None
        self._reverse, self.not_reversed = compile_reverse(spec.fields)
        self._push = compile_push(spec.push_fields) if spec.push_fields else None
        self._pushed = {rule.name for rule in spec.push_fields}
        self.has_lookups = _any_lookup(spec.fields)
        self.push_has_lookups = self.has_lookups or _any_lookup(spec.push_fields)  # either direction

    name = property(lambda self: self.spec.name)
    entity = property(lambda self: self.spec.entity)
    system = property(lambda self: self.spec.system)
    object = property(lambda self: self.spec.object)
    hash = property(lambda self: self.spec.content_hash)

    def __repr__(self) -> str:
        return f"<Mapping {self.name}: {self.system}/{self.object} -> {self.entity}>"

    # -- pull -------------------------------------------------------------------------------

    def record_id(self, raw: Any) -> str:
        """The vendor's id of this record (the ``id:`` path), as text."""
        value = self._id(raw) if isinstance(raw, dict) else None
        if value is None or value == "":
            raise self._error(None, "id", None, f"no record id at {self.spec.id_path.text}")
        if isinstance(value, dict | list | bool):
            raise self._error(None, "id", None, f"the record id at {self.spec.id_path.text} is a "
                              f"{type(value).__name__}, not text or a number (point id: at the id inside it)")
        return id_text(value)

    def cursor(self, raw: Any) -> Any:
        """The record's change marker (the ``cursor:`` path), or None when the mapping has none."""
        return self._cursor(raw) if self._cursor is not None and isinstance(raw, dict) else None

    def apply(self, raw: Any, resolver: LookupResolver | None = None) -> dict[str, Any]:
        """Canonical fields of one vendor record; raises MappingError naming field, value and reason."""
        [result] = self.apply_many([raw], resolver)
        if result.error is not None:
            raise result.error
        assert result.fields is not None
        return result.fields

    def apply_many(
        self, raws: Sequence[Any], resolver: LookupResolver | None = None, *, resolve: bool = True
    ) -> list[MappingResult]:
        """Map a page: each record succeeds or fails alone; lookups take one query per system and entity.

        ``resolve=False`` leaves lookups as ``{"$lookup": ...}`` markers (previews without a database).
        """
        results: list[MappingResult] = []
        forward = self._forward
        for index, raw in enumerate(raws):
            try:
                record_id = self.record_id(raw)
            except MappingError as exc:
                results.append(MappingResult(index, raw, None, error=exc))
                continue
            try:
                results.append(MappingResult(index, raw, record_id, forward(raw)))
            except FieldFailure as failure:
                error = self._error(record_id, failure.field, failure.value, failure.reason)
                results.append(MappingResult(index, raw, record_id, error=error))
        if self.has_lookups:
            results = self._resolve(results, resolver, resolve, to_external=False)
        return results

    # -- push -------------------------------------------------------------------------------

    def reverse(self, canonical: AnyMapping[str, Any], resolver: LookupResolver | None = None, *,
                resolve: bool = True) -> dict[str, Any]:
        """The vendor record for a canonical one: reversible fields, then the ``push:`` section's fields."""
        record = dict(canonical)
        record_id = str(record.get("id") or "(new)")
        out: dict[str, Any] = {}
        try:
            self._reverse(record, out)
            if self._push is not None:
                _deep_update(out, self._push(record))
        except FieldFailure as failure:
            raise self._error(record_id, failure.field, failure.value, failure.reason, push=True) from None
        [result] = self._resolve([MappingResult(0, record, record_id, out)], resolver, resolve, to_external=True)
        if result.error is not None:
            raise result.error
        return out

    # -- helpers ----------------------------------------------------------------------------

    def _resolve(
        self, results: list[MappingResult], resolver: LookupResolver | None, resolve: bool, *, to_external: bool
    ) -> list[MappingResult]:
        slots: list[Slot] = []
        for result in results:
            if result.fields is not None:
                find_pending(result.fields, result.index, slots=slots)
        if not slots:
            return results
        if not resolve:
            mark_unresolved(slots)
            return results
        if resolver is None:
            raise MappingError(
                f"mapping {self.name} looks up ids through the crosswalk: pass a resolver "
                "(hub.mapping.StoreResolver(conn)); the sync engine does",
                mapping=self.name, reason="no lookup resolver",
            )
        failures = resolve_slots(slots, resolver)
        if not failures:
            return results
        return [
            MappingResult(r.index, r.raw, r.external_id, error=self._error(
                r.external_id, *failures[r.index], push=to_external)) if r.index in failures else r
            for r in results
        ]

    def _error(self, record_id: str | None, field: str, value: Any, reason: str, *, push: bool = False) -> MappingError:
        shown = mask_value(field, value)
        reason = mask_reason(field, value, reason)
        direction = "push" if push else "record"
        return MappingError(
            f"mapping {self.name}: {direction} {record_id or '?'}: field {field}: {reason} (value: {shown!r})",
            mapping=self.name, record_id=record_id, field=field, value=shown, reason=reason,
        )


def _personal(field: str) -> bool:
    return field.split(".")[0].split("[")[0] in PERSONAL_FIELDS


def mask_value(field: str, value: Any) -> Any:
    """Values shown in errors: phones, e-mails and addresses masked; other text scanned for them."""
    if isinstance(value, list):
        return [mask_value(field, item) for item in value]
    if value is None or isinstance(value, bool):
        return value
    text = str(value)
    masked = mask_personal_data(text)
    if isinstance(value, Decimal | int | float) and not _personal(field):
        return value if masked == text else masked  # masked only when it is a phone number read as a number
    if _personal(field) and masked == text:
        return text[:2] + "***" if len(text) > 2 else "***"
    return masked


def mask_reason(field: str, value: Any, reason: str) -> str:
    """The reason with any personal data in it masked, including the field's own value if it is personal."""
    if _personal(field):
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.strip():
                for form in {repr(item), repr(item.strip())}:  # steps quote the value they refuse
                    reason = reason.replace(form, repr(mask_value(field, item)))
    return mask_personal_data(reason)


def _deep_update(target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            _deep_update(current, value)
        elif isinstance(value, list) and isinstance(current, list):
            _merge_lists(current, value)  # push: FEntity[0].FStatus adds to the reversed FEntity[0]
        else:
            target[key] = value


def _merge_lists(target: list[Any], extra: list[Any]) -> None:
    for index, value in enumerate(extra):
        if index >= len(target):
            target.append(value)
        elif isinstance(value, dict) and isinstance(target[index], dict):
            _deep_update(target[index], value)
        elif value is not None:
            target[index] = value


def _any_lookup(rules: Iterable[FieldRule]) -> bool:
    return any(rule.lookup is not None or _any_lookup(rule.subfields) for rule in rules)


def load_mapping(source: str | FilePath | AnyMapping[str, Any], *, source_name: str | None = None) -> Mapping:
    """Load, check and compile a mapping from a file path, YAML text, or a dict.

    A ``str`` that names an existing ``.yaml``/``.yml`` file is read as that file;
    other text is parsed as YAML. Raises ConfigError listing every problem with its line.
    """
    if isinstance(source, str) and source.strip().endswith((".yaml", ".yml")) and "\n" not in source:
        source = FilePath(source)
    spec, problems = read_spec(source, source_name=source_name)
    if spec is None:
        raise config_error(problems)
    return Mapping(spec)
