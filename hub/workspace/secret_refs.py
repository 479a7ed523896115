"""Secrets are referenced, never written: the rule for ``hub.yaml``, checked on the text as written.

A setting is secret when its name ends in ``secret``, ``password``, ``token`` or
``aes_key`` (``password``, ``app_secret``, ``callback_token``, ``encoding_aes_key``,
``sources.*.verify.secret``...). Its value must be exactly ``${NAME}``, read from the
environment when the file is loaded. A default (``${NAME:-value}``) would put the
secret in the file, so it is refused too. Empty and null values are allowed (no secret).

Outbound webhook headers that carry credentials (``Authorization``, ``Cookie``, or a
name ending in ``token``, ``secret``, ``password`` or ``key``) must contain a
reference, e.g. ``Authorization: Bearer ${MES_TOKEN}``.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any

from hub.workspace.yamlfile import LoadedYaml, Problem, YamlPath, is_reference

SECRET_SUFFIXES = ("secret", "password", "token", "aes_key")
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_CREDENTIAL_HEADER_SUFFIXES = ("token", "secret", "password", "key")


def is_secret_name(name: str) -> bool:
    """Whether a setting called ``name`` holds a secret (stored encrypted, shown masked, never logged)."""
    return name.lower().endswith(SECRET_SUFFIXES)


def is_credential_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in _CREDENTIAL_HEADERS or lowered.endswith(_CREDENTIAL_HEADER_SUFFIXES)


def secret_problems(loaded: LoadedYaml) -> list[Problem]:
    """Every secret written as a literal value, with a suggested variable name to use instead."""
    problems: list[Problem] = []
    _walk(loaded, loaded.data, (), problems)
    return problems


def _walk(loaded: LoadedYaml, value: Any, path: YamlPath, problems: list[Problem]) -> None:
    if isinstance(value, list):
        for index, item in enumerate(value):
            _walk(loaded, item, (*path, index), problems)
        return
    if not isinstance(value, dict):
        return
    in_headers = len(path) == 3 and path[0] == "subscriptions" and path[2] == "headers"
    for key, item in value.items():
        item_path = (*path, key)
        if isinstance(item, dict | list):
            _walk(loaded, item, item_path, problems)
            continue
        if item is None or item == "" or not isinstance(key, str):
            continue
        raw = loaded.raw_of(item_path)
        if in_headers:
            if is_credential_header(key) and (raw is None or "${" not in raw):
                problems.append(
                    loaded.problem(
                        item_path,
                        f"header {key} carries a credential: write it with a reference, e.g. "
                        f"'Bearer ${{{suggest_variable(item_path)}}}'",
                    )
                )
        elif is_secret_name(key) and (raw is None or not is_reference(raw)):
            problems.append(loaded.problem(item_path, _literal_secret_message(raw, item_path)))


def _literal_secret_message(raw: str | None, path: YamlPath) -> str:
    name = suggest_variable(path)
    if raw is not None and raw.startswith("${") and ":-" in raw:
        return f"a secret cannot have a default (it would be written in the file): use ${{{name}}} alone"
    return (
        f"secrets are never written in hub.yaml: write ${{{name}}} and set the environment variable {name} "
        "(or put it in the workspace's .env, which stays out of git)"
    )


def suggest_variable(path: tuple[Hashable, ...]) -> str:
    """A variable name for the secret at ``path``.

    ``connectors.kingdee-main.settings.password`` -> ``KINGDEE_MAIN_PASSWORD``.
    """
    parts = [str(p) for p in path if not isinstance(p, int)]
    if len(parts) >= 2 and parts[0] in ("connectors", "sources", "subscriptions"):
        parts = [parts[1], parts[-1]]
    else:
        parts = parts[-2:]
    return re.sub(r"[^A-Za-z0-9]+", "_", "_".join(parts)).strip("_").upper() or "SECRET"
