"""hub keys create / list / revoke."""

from __future__ import annotations

import json

import pytest

from hub.db.engine import create_db_engine
from hub.security.api_keys import Principal, Role, authenticate
from tests.cli.hub_cli_harness import Hub


def authenticate_with(hub: Hub, key: str) -> Principal | None:
    engine = create_db_engine(hub.database_url)
    try:
        with engine.begin() as conn:
            return authenticate(conn, key)
    finally:
        engine.dispose()


def test_create_prints_a_key_that_authenticates(migrated: Hub) -> None:
    result = migrated("keys", "create", "--role", "admin", "--name", "alice")

    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    principal = authenticate_with(migrated, key)
    assert principal is not None
    assert (principal.role, principal.name) == (Role.ADMIN, "alice")


def test_create_says_the_key_will_not_be_shown_again(migrated: Hub) -> None:
    result = migrated("keys", "create", "--role", "viewer")

    assert "will not be shown again" in result.stderr
    assert len(result.stdout.splitlines()) == 1  # stdout holds the key alone, for KEY=$(hub keys create ...)


def test_create_without_a_name_names_the_key_after_its_role(migrated: Hub) -> None:
    key = migrated("keys", "create", "--role", "operator").stdout.strip()

    principal = authenticate_with(migrated, key)
    assert principal is not None
    assert principal.name == "cli-operator"


def test_create_rejects_an_unknown_role(migrated: Hub) -> None:
    result = migrated("keys", "create", "--role", "root")

    assert result.exit_code == 2  # a usage error, reported by the option parser
    assert "root" in result.stderr


def test_list_shows_keys_but_not_their_secret(migrated: Hub) -> None:
    key = migrated("keys", "create", "--role", "admin", "--name", "alice").stdout.strip()

    result = migrated("keys", "list")

    assert result.exit_code == 0, result.output
    assert "alice" in result.stdout
    assert "admin" in result.stdout
    assert key not in result.output
    assert key.split("_")[2] not in result.output  # not even the secret part


def test_list_json_has_no_hash_or_secret(migrated: Hub) -> None:
    key = migrated("keys", "create", "--role", "admin", "--name", "alice").stdout.strip()

    rows = json.loads(migrated("keys", "list", "--json").stdout)

    assert [(r["name"], r["role"], r["revoked_at"]) for r in rows] == [("alice", "admin", None)]
    assert "key_hash" not in rows[0]
    assert key not in json.dumps(rows)


def test_list_with_no_keys_says_how_to_create_one(migrated: Hub) -> None:
    result = migrated("keys", "list")

    assert result.exit_code == 0
    assert "hub keys create --role admin" in result.stderr


def test_revoke_stops_the_key_from_authenticating(migrated: Hub) -> None:
    key = migrated("keys", "create", "--role", "admin").stdout.strip()
    key_id = json.loads(migrated("keys", "list", "--json").stdout)[0]["id"]

    result = migrated("keys", "revoke", key_id)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"revoked key {key_id}")
    assert authenticate_with(migrated, key) is None


def test_revoke_unknown_key_is_an_error(migrated: Hub) -> None:
    result = migrated("keys", "revoke", "key_nope")

    assert result.exit_code == 1
    assert result.stderr == "error: no API key with id or prefix 'key_nope'\n"


@pytest.mark.parametrize(
    "args",
    [("keys", "create", "--role", "admin"), ("keys", "list"), ("keys", "revoke", "x")],
    ids=["create", "list", "revoke"],
)
def test_keys_need_a_migrated_database(hub: Hub, args: tuple[str, ...]) -> None:
    result = hub(*args)

    assert result.exit_code == 1
    assert result.stderr.startswith("error: the database has no schema yet: run `hub db upgrade` first")
