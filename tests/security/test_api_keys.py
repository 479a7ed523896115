"""API keys: shown once, stored hashed, rejected when wrong or revoked, last use recorded sparingly."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from hub.errors import NotFoundError
from hub.security.api_keys import (
    ApiKeyInputError,
    Principal,
    Role,
    authenticate,
    create_api_key,
    list_api_keys,
    revoke_api_key,
)
from hub.security.tables import ApiKey

API_KEYS = ApiKey.__table__  # type: ignore[attr-defined]
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _create(engine: Engine, role: str = "viewer", name: str = "ci") -> tuple[dict[str, object], str]:
    with engine.begin() as conn:
        return create_api_key(conn, role, name, now=T0)


def _authenticate(engine: Engine, key: str, now: datetime = T0) -> Principal | None:
    with engine.begin() as conn:
        return authenticate(conn, key, now=now)


def test_a_key_reads_hub_prefix_secret_and_only_its_sha256_is_stored(db_engine: Engine) -> None:
    row, key = _create(db_engine)

    match = re.fullmatch(r"hub_([a-z0-9]{8})_([A-Za-z0-9_\-]{32,})", key)
    assert match is not None
    assert row["prefix"] == match[1]
    assert "key_hash" not in row
    with db_engine.connect() as conn:
        stored = conn.execute(select(API_KEYS)).mappings().one()
    assert stored["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(dict(stored))


def test_the_right_key_authenticates_as_its_name_and_role(db_engine: Engine) -> None:
    row, key = _create(db_engine, "operator", "erp-sync")

    principal = _authenticate(db_engine, key)

    assert principal is not None
    assert (principal.key_id, principal.name, principal.role) == (row["id"], "erp-sync", Role.OPERATOR)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),
        lambda key: "hub_zzzzzzzz_" + key.split("_", 2)[2],
        lambda key: key.replace("hub_", "hb_", 1),
        lambda key: "",
    ],
    ids=["wrong-secret", "unknown-prefix", "malformed", "empty"],
)
def test_anything_but_the_exact_key_is_rejected(db_engine: Engine, mangle: Callable[[str], str]) -> None:
    _row, key = _create(db_engine)

    assert _authenticate(db_engine, mangle(key)) is None


def test_a_revoked_key_no_longer_authenticates(db_engine: Engine) -> None:
    row, key = _create(db_engine)
    with db_engine.begin() as conn:
        revoked = revoke_api_key(conn, str(row["id"]), now=T0)

    assert revoked["revoked_at"] == "2025-03-01T09:00:00Z"
    assert _authenticate(db_engine, key) is None


def test_revoking_by_prefix_twice_keeps_the_first_revocation_time(db_engine: Engine) -> None:
    row, _key = _create(db_engine)
    with db_engine.begin() as conn:
        revoke_api_key(conn, str(row["prefix"]), now=T0)
        again = revoke_api_key(conn, str(row["prefix"]), now=T0 + timedelta(days=1))

    assert again["revoked_at"] == "2025-03-01T09:00:00Z"


def test_revoking_an_unknown_key_says_so(db_engine: Engine) -> None:
    with db_engine.begin() as conn, pytest.raises(NotFoundError, match="nokey"):
        revoke_api_key(conn, "nokey")


def test_last_used_is_written_at_most_once_a_minute(db_engine: Engine) -> None:
    _row, key = _create(db_engine)

    _authenticate(db_engine, key, T0)
    _authenticate(db_engine, key, T0 + timedelta(seconds=30))
    with db_engine.connect() as conn:
        after_30s = list_api_keys(conn)[0]["last_used_at"]
    _authenticate(db_engine, key, T0 + timedelta(seconds=61))
    with db_engine.connect() as conn:
        after_61s = list_api_keys(conn)[0]["last_used_at"]

    assert after_30s == "2025-03-01T09:00:00Z"
    assert after_61s == "2025-03-01T09:01:01Z"


def test_list_shows_every_key_without_secrets(db_engine: Engine) -> None:
    _create(db_engine, "admin", "alice")
    _create(db_engine, "viewer", "grafana")

    with db_engine.connect() as conn:
        keys = list_api_keys(conn)

    assert [(k["name"], k["role"]) for k in keys] == [("alice", "admin"), ("grafana", "viewer")]
    assert all("key_hash" not in k for k in keys)


def test_an_unknown_role_is_refused_naming_the_roles(db_engine: Engine) -> None:
    with db_engine.begin() as conn, pytest.raises(ApiKeyInputError, match="use one of admin, operator, viewer"):
        create_api_key(conn, "superuser", "x")


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        (Role.ADMIN, Role.OPERATOR, True),
        (Role.OPERATOR, Role.OPERATOR, True),
        (Role.VIEWER, Role.OPERATOR, False),
        (Role.OPERATOR, Role.ADMIN, False),
    ],
    ids=["admin>operator", "operator=operator", "viewer<operator", "operator<admin"],
)
def test_roles_rank_admin_over_operator_over_viewer(role: Role, needed: Role, allowed: bool) -> None:
    assert role.allows(needed) is allowed
