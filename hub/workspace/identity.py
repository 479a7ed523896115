"""The ``identity:`` section: checked against the canonical model, then turned into the store's rules.

::

    identity:
      customer:
        match: [tax_id, phone, email]     # hub.store.rules.MATCH_KINDS, tried in order
        survivorship:                     # field -> systems whose value wins, in priority order
          name: [kingdee, yonyou]
        union: [phones, emails, tags]     # list fields combined from every system

An entity that is not listed, or a key that is left out, keeps the defaults of
:data:`hub.store.rules.DEFAULT_RULES` (``match: []`` and ``union: []`` switch them off).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import get_args, get_origin

from pydantic import BaseModel

from hub.store.entities import get_entity
from hub.store.rules import DEFAULT_RULES, MATCH_KINDS, EntityRules, StoreRules
from hub.workspace.config import EntityIdentityConfig, did_you_mean
from hub.workspace.schema_errors import unwrap_type
from hub.workspace.yamlfile import YamlPath

MATCH_ENTITIES = ("customer",)
"""Entities the store resolves identity for (others are matched by their crosswalk only)."""


@cache
def union_fields(entity: str) -> tuple[str, ...]:
    """The fields of ``entity`` that may be unioned: lists of plain values (``phones``; not order ``lines``)."""
    fields = []
    for name, info in get_entity(entity).fields_model.model_fields.items():
        tp = unwrap_type(info.annotation)
        if get_origin(tp) is list:
            (item,) = get_args(tp)
            if not (isinstance(item, type) and issubclass(item, BaseModel)):
                fields.append(name)
    return tuple(fields)


def identity_problems(identity: Mapping[str, EntityIdentityConfig]) -> list[tuple[YamlPath, str]]:
    """Every field, match kind and union that does not fit the entity, with its path inside ``identity``."""
    problems: list[tuple[YamlPath, str]] = []
    for entity, rules in identity.items():
        fields = get_entity(entity).field_names
        if rules.match and entity not in MATCH_ENTITIES:
            problems.append(
                ((entity, "match"), f"identity matching is only supported for {', '.join(MATCH_ENTITIES)}; "
                 f"{entity} records are matched through their crosswalk only")
            )
        elif rules.match:
            problems += _unknown_or_repeated((entity, "match"), rules.match, MATCH_KINDS, "match kind")
        for field, systems in rules.survivorship.items():
            path: YamlPath = (entity, "survivorship", field)
            if field not in fields:
                problems.append((path, f"{entity} has no field {field!r}{did_you_mean(field, fields)}"))
            if not systems:
                problems.append((path, "list the systems whose value wins, highest priority first"))
            for index, system in enumerate(systems):
                if not system.strip():
                    problems.append(((*path, index), "a system name cannot be empty"))
                elif system in systems[:index]:
                    problems.append(((*path, index), f"{system!r} is listed twice"))
        allowed, union = union_fields(entity), rules.union or []
        for index, field in enumerate(union):
            union_path: YamlPath = (entity, "union", index)
            if field not in fields:
                problems.append((union_path, f"{entity} has no field {field!r}{did_you_mean(field, fields)}"))
            elif field not in allowed:
                which = ", ".join(allowed) if allowed else "none"
                problems.append(
                    (union_path, f"{field!r} cannot be combined from several systems: only lists of plain values can "
                     f"({entity}: {which})")
                )
            elif field in union[:index]:
                problems.append((union_path, f"{field!r} is listed twice"))
    return problems


def _unknown_or_repeated(
    path: YamlPath, values: list[str], known: tuple[str, ...], what: str
) -> list[tuple[YamlPath, str]]:
    problems: list[tuple[YamlPath, str]] = []
    for index, value in enumerate(values):
        if value not in known:
            hint = did_you_mean(value, known)
            problems.append(((*path, index), f"unknown {what} {value!r}{hint}; known: {', '.join(known)}"))
        elif value in values[:index]:
            problems.append(((*path, index), f"{value!r} is listed twice"))
    return problems


def store_rules(identity: Mapping[str, EntityIdentityConfig]) -> StoreRules:
    """The store's rules: the defaults, with each entity given in ``identity`` replacing its defaults key by key."""
    entities: dict[str, EntityRules] = dict(DEFAULT_RULES)
    for entity, rules in identity.items():
        default = DEFAULT_RULES.get(entity, EntityRules())
        entities[entity] = EntityRules(
            match=tuple(rules.match) if rules.match is not None else default.match,
            survivorship={field: tuple(systems) for field, systems in rules.survivorship.items()}
            or dict(default.survivorship),
            union=frozenset(rules.union) if rules.union is not None else default.union,
        )
    return StoreRules(entities=entities)
