"""Pydantic validation errors turned into :class:`~hub.workspace.yamlfile.Problem` lines an admin can act on.

Pydantic says ``('kd', 'tpye') Extra inputs are not permitted``; the admin should read
``hub.yaml:12: connectors.kd.tpye: unknown key 'tpye' (did you mean 'type'?)``.
"""

from __future__ import annotations

import types
from collections.abc import Hashable
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from hub.workspace.config import did_you_mean
from hub.workspace.yamlfile import LoadedYaml, Problem, YamlPath

_KEY_MARKER = "[key]"  # pydantic appends this to the location of a bad dict key


def validation_problems(loaded: LoadedYaml, error: ValidationError, *, root: Any, base: YamlPath = ()) -> list[Problem]:
    """One problem per pydantic error; ``root`` is the validated type, found at ``base`` in the file."""
    problems = []
    for detail in error.errors(include_url=False):
        loc = tuple(detail["loc"])
        if loc and loc[-1] == _KEY_MARKER:
            loc = loc[:-1]
        problems.append(loaded.problem((*base, *loc), describe_error(detail, root)))
    return problems


def describe_error(detail: ErrorDetails, root: Any) -> str:
    kind, loc, value = detail["type"], tuple(detail["loc"]), detail.get("input")
    ctx = detail.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1])
        known = allowed_keys(root, loc[:-1])
        if not known:
            return f"unknown key {key!r}"
        hint = did_you_mean(key, known)
        return f"unknown key {key!r}{hint}" if hint else f"unknown key {key!r}; expected one of: {', '.join(known)}"
    if kind == "missing":
        return f"missing required key {loc[-1]!r}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping (key: value), got {describe_value(value)}"
    if kind == "list_type":
        return f"expected a list, got {describe_value(value)}"
    if kind == "string_type":
        return f"expected text, got {describe_value(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {describe_value(value)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {describe_value(value)}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        options = [o.strip(" '") for o in expected.replace(" or ", ", ").split(",")]
        hint = did_you_mean(value, options) if isinstance(value, str) else ""
        return f"expected {expected}, got {describe_value(value)}{hint}"
    if kind == "too_short":
        if isinstance(value, list | dict):
            return f"expected at least {ctx.get('min_length')} item(s)"
        return "cannot be empty"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}, got {describe_value(value)}"
    message = str(detail["msg"])
    if "message" in ctx:  # our own PydanticCustomError: already written for the admin
        return str(ctx["message"])
    message = message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def describe_value(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def allowed_keys(root: Any, loc: tuple[Hashable, ...]) -> tuple[str, ...]:
    """The keys the model at ``loc`` under the type ``root`` accepts (empty if it is not a model)."""
    current = unwrap_type(root)
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(str(part))
            if info is None:
                return ()
            current = unwrap_type(info.annotation)
        elif get_origin(current) is dict:
            current = unwrap_type(get_args(current)[1])
        elif get_origin(current) is list:
            current = unwrap_type(get_args(current)[0])
        else:
            return ()
    if isinstance(current, type) and issubclass(current, BaseModel):
        return tuple(current.model_fields)
    return ()


def unwrap_type(tp: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to the type that holds the keys."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp
