"""Reading a mapping file into a checked spec, collecting every problem with its line.

The checks are those an admin needs to never be silently wrong: unknown keys and
steps (with "did you mean"), unknown entities and canonical fields, a constant, a
default or a map value the canonical field would refuse, rules that mix sources,
a ``map`` that cannot be reversed without ``reverse_map``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from hub.mapping.paths import Path, PathSyntaxError, parse_path
from hub.mapping.steps import STEP_NAMES, Step, StepArgumentError, build_step
from hub.store.entities import ENTITIES
from hub.workspace.yamlfile import LoadedYaml, Problem, YamlPath, parse_yaml

NO_DEFAULT: Any = object()

TOP_KEYS = ("version", "name", "description", "system", "object", "entity", "id", "cursor", "fields", "push")
REQUIRED_TOP = ("version", "name", "system", "object", "entity", "id", "fields")
RULE_KEYS = ("from", "const", "template", "each", "fields", "pipe", "map", "reverse_map", "default", "required",
             "lookup", "description")
SOURCES = ("from", "const", "template", "each")
PUSH_KEYS = ("object", "fields")


@dataclass(frozen=True)
class Lookup:
    system: str
    entity: str


@dataclass(frozen=True)
class FieldRule:
    """How one output field gets its value."""

    name: str  # canonical field (in ``fields``) or vendor path (in ``push.fields``)
    where: YamlPath  # the rule's place in the file, for messages
    source: Literal["from", "first", "const", "template", "each"]
    paths: tuple[Path, ...] = ()
    const: Any = None
    template: str | None = None
    template_paths: tuple[Path, ...] = ()
    subfields: tuple[FieldRule, ...] = ()
    steps: tuple[Step, ...] = ()
    map: Mapping[str, Any] | None = None
    reverse_map: Mapping[str, Any] | None = None
    default: Any = NO_DEFAULT
    required: bool = True
    lookup: Lookup | None = None

    @property
    def reversible(self) -> bool:
        """Can a canonical value be turned back into the vendor's, without the push: section?"""
        if self.source == "each":
            return bool(self.subfields) and any(sub.reversible for sub in self.subfields)
        if self.source != "from":
            return False
        if any(step.reverse is None for step in self.steps):
            return False
        return self.map is None or self.reverse_map is not None or _one_to_one(self.map)


@dataclass(frozen=True)
class MappingSpec:
    name: str
    system: str
    object: str
    entity: str
    id_path: Path
    cursor_path: Path | None
    fields: tuple[FieldRule, ...]
    push_object: str | None
    push_fields: tuple[FieldRule, ...]
    description: str | None
    source_name: str
    content_hash: str  # of the spec's meaning, not its formatting or comments


def _one_to_one(table: Mapping[str, Any]) -> bool:
    values = [json.dumps(v, sort_keys=True, default=str) for v in table.values()]
    return len(values) == len(set(values))


def read_spec(source: str | FilePath | Mapping[str, Any], *, source_name: str | None = None) -> tuple[
    MappingSpec | None, list[Problem]
]:
    """Parse and check a mapping; return (spec, []) or (None, every problem found)."""
    if isinstance(source, Mapping):
        loaded = LoadedYaml(dict(source), source_name or "<mapping>")
    else:
        loaded = parse_yaml(source, source_name=source_name, interpolate=False)
        if loaded.data is None and loaded.problems:  # unreadable: nothing more to check
            return None, list(loaded.problems)
    checker = _Checker(loaded)
    spec = checker.spec()
    problems = [*loaded.problems, *checker.problems]  # e.g. a duplicate key and a typo, reported together
    return (spec, []) if not problems and spec is not None else (None, problems)


class _Checker:
    def __init__(self, loaded: LoadedYaml) -> None:
        self.loaded = loaded
        self.problems: list[Problem] = []

    def add(self, where: YamlPath, message: str) -> None:
        self.problems.append(self.loaded.problem(where, message))

    def unknown_keys(self, data: Mapping[Any, Any], known: tuple[str, ...], where: YamlPath, what: str) -> None:
        for key in data:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else f"; {what} take: {', '.join(known)}"
                self.add((*where, key), f"unknown key {key!r}{hint}")

    def spec(self) -> MappingSpec | None:
        data = self.loaded.data
        if not isinstance(data, dict):
            self.add((), "a mapping file is a YAML mapping with version, name, system, object, entity, id, fields")
            return None
        self.unknown_keys(data, TOP_KEYS, (), "mapping files")
        for key in REQUIRED_TOP:
            if key not in data:
                self.add((), f"missing required key {key!r}")
        if "version" in data and (data["version"] != 1 or isinstance(data["version"], bool)):
            self.add(("version",), f"unsupported version {data['version']!r}: this hub reads version 1")
        texts = {}
        for key in ("name", "system", "object", "entity", "description"):
            value = data.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                self.add((key,), f"{key} must be non-empty text")
            texts[key] = value if isinstance(value, str) else None
        entity = texts["entity"]
        if entity is not None and entity not in ENTITIES:
            close = difflib.get_close_matches(entity, ENTITIES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(ENTITIES)}"
            self.add(("entity",), f"unknown entity {entity!r}{hint}")
            entity = None
        id_path = self.path(data.get("id"), ("id",)) if "id" in data else None
        cursor = self.path(data["cursor"], ("cursor",)) if data.get("cursor") is not None else None
        model = ENTITIES[entity].fields_model if entity else None
        fields = self.rules(data.get("fields"), ("fields",), model, canonical_output=True)
        push_object: str | None = None
        push_fields: tuple[FieldRule, ...] = ()
        if "push" in data:
            push_object, push_fields = self.push(data["push"], model)
        if self.problems or id_path is None or entity is None:
            return None
        return MappingSpec(
            name=str(texts["name"]), system=str(texts["system"]), object=str(texts["object"]), entity=entity,
            id_path=id_path, cursor_path=cursor, fields=fields, push_object=push_object, push_fields=push_fields,
            description=texts["description"], source_name=self.loaded.source_name,
            content_hash=hashlib.sha256(
                json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
            ).hexdigest(),
        )

    def path(self, value: Any, where: YamlPath) -> Path | None:
        try:
            return parse_path(value)
        except PathSyntaxError as exc:
            self.add(where, str(exc))
            return None

    def push(self, data: Any, model: type[BaseModel] | None) -> tuple[str | None, tuple[FieldRule, ...]]:
        if not isinstance(data, dict):
            self.add(("push",), "push is a mapping with optional object and fields")
            return None, ()
        self.unknown_keys(data, PUSH_KEYS, ("push",), "push sections")
        obj = data.get("object")
        if obj is not None and not isinstance(obj, str):
            self.add(("push", "object"), "push.object is the vendor object's name, as text")
        rules = self.rules(data.get("fields", {}), ("push", "fields"), model, canonical_output=False)
        self.vendor_paths(rules)
        return (obj if isinstance(obj, str) else None), rules

    def vendor_paths(self, rules: tuple[FieldRule, ...]) -> None:
        """Names in push.fields (and in its each: sub-records) are paths the push writes."""
        for rule in rules:
            self.path(rule.name, (*rule.where,))
            self.vendor_paths(rule.subfields)

    def rules(
        self, data: Any, where: YamlPath, model: type[BaseModel] | None, *, canonical_output: bool
    ) -> tuple[FieldRule, ...]:
        if not isinstance(data, dict) or (canonical_output and not data):
            self.add(where, "fields is a mapping of canonical field: rule, with at least one field")
            return ()
        rules = []
        for name, rule_data in data.items():
            here = (*where, name)
            if canonical_output and model is not None and name not in model.model_fields:
                known = tuple(model.model_fields)
                close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else f"; this entity has: {', '.join(known)}"
                self.add(here, f"unknown canonical field {name!r}{hint}")
                continue
            rule = self.rule(str(name), rule_data, here, model if canonical_output else None)
            if rule is not None:
                rules.append(rule)
        return tuple(rules)

    def rule(self, name: str, data: Any, where: YamlPath, model: type[BaseModel] | None) -> FieldRule | None:
        if isinstance(data, str):
            path = self.path(data, where)
            return FieldRule(name, where, "from", paths=(path,)) if path else None
        if not isinstance(data, dict):
            self.add(where, "a field rule is a path (FBillNo) or a mapping with from/const/template/each")
            return None
        before = len(self.problems)
        self.unknown_keys(data, RULE_KEYS, where, "field rules")
        sources = [key for key in SOURCES if key in data]
        if len(sources) != 1:
            self.add(where, "a field rule needs exactly one of from, const, template, each"
                     + (f" (found {', '.join(sources)})" if sources else ""))
            return None
        source = sources[0]
        kwargs: dict[str, Any] = {}
        if source == "from":
            value = data["from"]
            if isinstance(value, list):
                if not value:
                    self.add((*where, "from"), "from: [] needs at least one path")
                paths = [self.path(p, (*where, "from", i)) for i, p in enumerate(value)]
                kwargs.update(source="first" if len(paths) > 1 else "from", paths=tuple(p for p in paths if p))
            else:
                path = self.path(value, (*where, "from"))
                kwargs.update(source="from", paths=(path,) if path else ())
        elif source == "const":
            kwargs.update(source="const", const=data["const"])
        elif source == "template":
            kwargs.update(source="template", **self.template(data["template"], (*where, "template")))
        else:
            kwargs.update(source="each", **self.each(name, data, where, model))
        if "fields" in data and source != "each":
            self.add((*where, "fields"), "fields: inside a rule goes with each: (a list of sub-records)")
        kwargs["steps"] = self.steps(data.get("pipe"), (*where, "pipe")) if "pipe" in data else ()
        written_keys: dict[str, dict[str, Any]] = {}  # table -> text key -> the key as YAML read it (for lines)
        for key in ("map", "reverse_map"):
            if key in data:
                table = data[key]
                if not isinstance(table, dict) or not table:
                    self.add((*where, key), f"{key} is a non-empty table of value: value")
                else:
                    kwargs[key] = {_key(k): v for k, v in table.items()}
                    written_keys[key] = {_key(k): k for k in table}
        if "reverse_map" in data and "map" not in data:
            self.add((*where, "reverse_map"), "reverse_map goes with map")
        if "map" in kwargs and "reverse_map" not in kwargs and not _one_to_one(kwargs["map"]):
            kwargs["reverse_map"] = None  # not reversible: pushes skip it unless push: gives it
        if "default" in data:
            kwargs["default"] = data["default"]
        if "required" in data:
            if not isinstance(data["required"], bool):
                self.add((*where, "required"), "required is true or false")
            else:
                kwargs["required"] = data["required"]
        if "lookup" in data:
            kwargs["lookup"] = self.lookup(data["lookup"], (*where, "lookup"))
        if len(self.problems) > before:
            return None
        rule = FieldRule(name, where, **kwargs)
        if model is not None:
            self.check_values(rule, model, written_keys)
        return rule

    def template(self, text: Any, where: YamlPath) -> dict[str, Any]:
        import string

        if not isinstance(text, str):
            self.add(where, 'template is text with {paths}, e.g. "{FBillNo} / {FCustId.FName}"')
            return {}
        paths = []
        try:
            for _literal, name, spec, conversion in string.Formatter().parse(text):
                if name is None:
                    continue
                if spec or conversion or not name:
                    self.add(where, "template placeholders are plain paths such as {FBillNo}, without format specs")
                    continue
                path = self.path(name, where)
                if path:
                    paths.append(path)
        except ValueError as exc:
            self.add(where, f"cannot read the template: {exc} (write {{{{ and }}}} for literal braces)")
        return {"template": text, "template_paths": tuple(paths)}

    def each(self, name: str, data: dict[str, Any], where: YamlPath, model: type[BaseModel] | None) -> dict[str, Any]:
        path = self.path(data["each"], (*where, "each"))
        item_model = _item_model(model, name) if model is not None else None
        if model is not None and item_model is None:
            self.add((*where, "each"), f"each: makes a list of sub-records, but {name!r} is not such a list")
        if "fields" not in data:
            self.add(where, "each: needs fields: describing one sub-record")
            return {"paths": (path,) if path else ()}
        sub = self.rules(data["fields"], (*where, "fields"), item_model, canonical_output=item_model is not None)
        return {"paths": (path,) if path else (), "subfields": sub}

    def steps(self, data: Any, where: YamlPath) -> tuple[Step, ...]:
        if not isinstance(data, list):
            self.add(where, "pipe is a list of steps, e.g. [trim, {decimal: 2}]")
            return ()
        built = []
        for index, item in enumerate(data):
            here = (*where, index)
            if isinstance(item, str):
                name, argument, has_argument = item, None, False
            elif isinstance(item, dict) and len(item) == 1:
                [(name, argument)] = item.items()
                has_argument = True
            else:
                self.add(here, "a step is a name (trim) or one name with its argument ({decimal: 2})")
                continue
            try:
                built.append(build_step(str(name), argument, has_argument=has_argument))
            except StepArgumentError as exc:
                message = str(exc)
                if message.startswith("unknown step"):
                    close = difflib.get_close_matches(str(name), STEP_NAMES, n=1, cutoff=0.6)
                    message += f" (did you mean {close[0]!r}?)" if close else f"; steps: {', '.join(STEP_NAMES)}"
                self.add(here, message)
        return tuple(built)

    def lookup(self, data: Any, where: YamlPath) -> Lookup | None:
        if not isinstance(data, dict) or set(data) != {"system", "entity"}:
            self.add(where, "lookup is {system: <system whose id this is>, entity: <canonical entity>}")
            return None
        if data["entity"] not in ENTITIES:
            close = difflib.get_close_matches(str(data["entity"]), ENTITIES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(ENTITIES)}"
            self.add((*where, "entity"), f"unknown entity {data['entity']!r}{hint}")
            return None
        return Lookup(str(data["system"]), str(data["entity"]))

    def check_values(self, rule: FieldRule, model: type[BaseModel], written_keys: dict[str, dict[str, Any]]) -> None:
        """Constants, defaults, map results and reverse_map keys must be values the canonical field accepts."""
        if rule.lookup is not None or rule.source == "each":
            return
        candidates: list[tuple[YamlPath, Any]] = []
        if rule.source == "const":
            candidates.append(((*rule.where, "const"), rule.const))
        if rule.default is not NO_DEFAULT and rule.default is not None:
            candidates.append(((*rule.where, "default"), rule.default))
        if rule.map is not None:
            keys = written_keys.get("map", {})
            candidates += [((*rule.where, "map", keys.get(k, k)), v) for k, v in rule.map.items() if v is not None]
        for text, written in written_keys.get("reverse_map", {}).items():
            # its keys are canonical values (compared as text): a typo there would never match
            if not any(_accepts(model, rule.name, key) for key in (text, written)):
                candidates.append(((*rule.where, "reverse_map", written), written))
        for where, value in candidates:
            try:
                model.model_validate({rule.name: value})
            except ValidationError as exc:
                reason = exc.errors()[0]["msg"]
                self.add(where, f"{value!r} is not a valid {rule.name}: {reason}")


def _accepts(model: type[BaseModel], name: str, value: Any) -> bool:
    try:
        model.model_validate({name: value})
    except ValidationError:
        return False
    return True


def _key(value: Any) -> str:
    """Map keys compare as text: YAML's 1 and a vendor's "1" (or 1.0) are the same key."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def map_key(value: Any) -> str:
    return _key(value)


def _item_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    info = model.model_fields.get(name)
    if info is None:
        return None
    for arg in typing.get_args(info.annotation) or (info.annotation,):
        if typing.get_origin(arg) is list:
            (item,) = typing.get_args(arg)
            if isinstance(item, type) and issubclass(item, BaseModel):
                return item
    return None


def spec_summary(spec: MappingSpec) -> dict[str, Any]:
    return {"name": spec.name, "system": spec.system, "object": spec.object, "entity": spec.entity,
            "hash": spec.content_hash, "file": spec.source_name}


__all__ = ["NO_DEFAULT", "FieldRule", "Lookup", "MappingSpec", "map_key", "read_spec", "spec_summary"]
