"""API keys: roles, creation (the key is shown once), authentication and revocation.

A key reads ``hub_<prefix>_<secret>``. The prefix is public and finds the row;
only the SHA-256 of the whole key is stored, so a leaked database does not leak
keys. The key itself is never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from hub.db.types import iso_utc, utcnow
from hub.errors import InvalidRequestError, NotFoundError
from hub.ids import new_id
from hub.security.tables import ApiKey

API_KEYS = ApiKey.__table__  # type: ignore[attr-defined]

PREFIX_LENGTH = 8
SECRET_BYTES = 32  # token_urlsafe(32) gives 43 characters
LAST_USED_RESOLUTION = timedelta(minutes=1)  # at most one write per key per minute

_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_KEY_SHAPE = re.compile(r"hub_(?P<prefix>[a-z0-9]{4,16})_(?P<secret>[A-Za-z0-9_\-]{16,})")

log = logging.getLogger(__name__)


class Role(StrEnum):
    """What a key may do: ``admin`` > ``operator`` > ``viewer``; a higher role may do all a lower one may."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank

    @classmethod
    def parse(cls, value: str | Role) -> Role:
        """The role named ``value``; raises ApiKeyInputError listing the roles for anything else."""
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ApiKeyInputError(
                f"unknown role {value!r}: use one of {', '.join(ROLE_NAMES)}", details={"roles": list(ROLE_NAMES)}
            ) from None


_RANKS = {Role.VIEWER: 1, Role.OPERATOR: 2, Role.ADMIN: 3}
ROLE_NAMES = ("admin", "operator", "viewer")


class ApiKeyInputError(InvalidRequestError, ValueError):
    """A role or name a key cannot be created with (the message says what is accepted)."""

    code = "invalid_api_key_input"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, name (the actor in audit trails) and role. Holds no secret."""

    key_id: str
    name: str
    role: Role
    prefix: str
    last_used_at: datetime | None = None

    def use_is_stale(self, now: datetime) -> bool:
        """Whether ``last_used_at`` is old enough to be worth a write."""
        return self.last_used_at is None or now - self.last_used_at >= LAST_USED_RESOLUTION

    def allows(self, needed: Role) -> bool:
        return self.role.allows(needed)


def create_api_key(
    conn: Connection, role: Role | str, name: str, *, now: datetime | None = None
) -> tuple[dict[str, Any], str]:
    """Store a new key and return ``(row, key)``; the plaintext key exists only in this return value."""
    parsed = Role.parse(role)
    clean_name = name.strip()
    if not clean_name or len(clean_name) > 100:
        raise ApiKeyInputError("a key's name must be 1 to 100 characters", details={"name": name})
    prefix = _unused_prefix(conn)
    key = f"hub_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    row = {
        "id": new_id("key"),
        "name": clean_name,
        "role": parsed.value,
        "prefix": prefix,
        "key_hash": _digest(key),
        "created_at": now or utcnow(),
        "last_used_at": None,
        "revoked_at": None,
    }
    conn.execute(insert(API_KEYS).values(row))
    log.info("created API key %s (prefix %s, role %s)", row["id"], prefix, parsed.value)
    return _public(row), key


def authenticate(
    conn: Connection, key: str, *, now: datetime | None = None, record_use: bool = True
) -> Principal | None:
    """The principal ``key`` belongs to, or None when it is malformed, unknown, wrong or revoked.

    With ``record_use`` it writes ``last_used_at`` when that is older than
    LAST_USED_RESOLUTION. The API authenticates on a read-only connection with
    ``record_use=False`` and calls :func:`record_key_use` only when needed, so
    most requests never take a write lock.
    """
    match = _KEY_SHAPE.fullmatch(key.strip())
    if match is None:
        return None
    row = conn.execute(select(API_KEYS).where(API_KEYS.c.prefix == match["prefix"])).mappings().first()
    if row is None or not hmac.compare_digest(_digest(key.strip()), row["key_hash"]):
        return None
    if row["revoked_at"] is not None:
        return None
    principal = Principal(
        key_id=row["id"], name=row["name"], role=Role.parse(row["role"]), prefix=row["prefix"],
        last_used_at=row["last_used_at"],
    )
    now = now or utcnow()
    if record_use and principal.use_is_stale(now):
        record_key_use(conn, principal.key_id, now)
    return principal


def record_key_use(conn: Connection, key_id: str, now: datetime) -> None:
    conn.execute(update(API_KEYS).where(API_KEYS.c.id == key_id).values(last_used_at=now))


def list_api_keys(conn: Connection) -> list[dict[str, Any]]:
    """Every key, oldest first, without hashes (revoked keys included, with ``revoked_at``)."""
    query = select(API_KEYS).order_by(API_KEYS.c.created_at, API_KEYS.c.id)
    return [_public(row) for row in conn.execute(query).mappings()]


def revoke_api_key(conn: Connection, id_or_prefix: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Revoke a key by id or prefix; revoking a revoked key changes nothing. Raises NotFoundError."""
    where = or_(API_KEYS.c.id == id_or_prefix, API_KEYS.c.prefix == id_or_prefix)
    row = conn.execute(select(API_KEYS).where(where)).mappings().first()
    if row is None:
        raise NotFoundError(f"no API key with id or prefix {id_or_prefix!r}")
    values = dict(row)
    if values["revoked_at"] is None:
        values["revoked_at"] = now or utcnow()
        conn.execute(update(API_KEYS).where(API_KEYS.c.id == row["id"]).values(revoked_at=values["revoked_at"]))
        log.info("revoked API key %s (prefix %s)", row["id"], row["prefix"])
    return _public(values)


def _unused_prefix(conn: Connection) -> str:
    for _ in range(5):
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
        if conn.execute(select(API_KEYS.c.id).where(API_KEYS.c.prefix == prefix)).first() is None:
            return prefix
    raise RuntimeError("could not draw an unused API key prefix")  # 36**8 prefixes: never in practice


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _public(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "role": row["role"],
        "prefix": row["prefix"],
        "created_at": iso_utc(row["created_at"]),
        "last_used_at": iso_utc(row["last_used_at"]) if row["last_used_at"] else None,
        "revoked_at": iso_utc(row["revoked_at"]) if row["revoked_at"] else None,
    }
