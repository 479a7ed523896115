"""Access tokens and sessions: cached per credential, shared by every worker, refreshed once at a time.

A connector gives a ``fetch`` coroutine (log in, get a token) and a cache key that
names the credential (corp + app, tenant + app key). :class:`TokenManager`:

- returns the cached token while it is valid, refreshing ``refresh_margin`` early;
- keeps it in the database (encrypted with HUB_SECRET_KEY) so every process shares it
  (vendors rate-limit token calls, and WeCom may invalidate a token when a new one is made);
- refreshes one at a time: an asyncio lock in the process and, on PostgreSQL, an advisory
  lock across processes; whoever waited re-reads the cache instead of fetching again;
- ``invalidate(token)`` after a vendor's token-expired code drops only that token, so a
  burst of failures with the same stale token causes a single refresh.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, String, Text, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel

from hub.db.types import UTCDateTime, utcnow
from hub.security.secrets import SecretBox

log = logging.getLogger(__name__)

Fetch = Callable[[], Awaitable[tuple[str, float]]]  # -> (token, seconds it lives)


class ConnectorToken(SQLModel, table=True):
    __tablename__ = "connector_tokens"

    key: str = Field(primary_key=True, sa_type=String(200))
    token: str = Field(sa_type=Text, description="Encrypted with HUB_SECRET_KEY.")
    expires_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


TOKENS = ConnectorToken.__table__  # type: ignore[attr-defined]


def credential_key(*parts: str) -> str:
    """A cache key naming a credential without containing it (the secret is hashed)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


class TokenStore:
    """The shared cache in the database; without a secret key tokens stay in memory only."""

    def __init__(self, engine: Engine, box: SecretBox | None) -> None:
        self.engine = engine
        self.box = box

    def load(self, key: str) -> tuple[str, datetime] | None:
        if self.box is None:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(TOKENS.c.token, TOKENS.c.expires_at).where(TOKENS.c.key == key)).first()
        if row is None:
            return None
        return self.box.decrypt(row.token), row.expires_at

    def save(self, key: str, token: str, expires_at: datetime) -> None:
        if self.box is None:
            return
        values = {"key": key, "token": self.box.encrypt(token), "expires_at": expires_at, "updated_at": utcnow()}
        with self.engine.begin() as conn:
            _upsert(conn, values)

    def forget(self, key: str) -> None:
        if self.box is None:
            return
        with self.engine.begin() as conn:
            conn.execute(delete(TOKENS).where(TOKENS.c.key == key))

    def refresh_lock(self, key: str) -> AbstractContextManager[Any]:
        """Held while fetching: other processes wait, then find the fresh token in the cache."""
        if self.engine.dialect.name != "postgresql":
            return nullcontext()  # SQLite deployments run one process: the asyncio lock suffices
        lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        return _AdvisoryLock(self.engine, lock_id)



def token_store(engine: Engine | None, secret_box: SecretBox | None) -> TokenStore | None:
    """The shared token cache for a connector's context (``context.engine``, ``context.secret_box``);
    None without a database (a connector used on its own keeps its tokens in memory)."""
    return TokenStore(engine, secret_box) if engine is not None else None

class _AdvisoryLock:
    def __init__(self, engine: Engine, lock_id: int) -> None:
        self.engine, self.lock_id = engine, lock_id
        self.conn: Connection | None = None

    def __enter__(self) -> None:
        self.conn = self.engine.connect()
        self.conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": self.lock_id})

    def __exit__(self, *exc: object) -> None:
        assert self.conn is not None
        self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.lock_id})
        self.conn.close()


def _upsert(conn: Connection, values: dict[str, Any]) -> None:
    update_cols = {k: values[k] for k in ("token", "expires_at", "updated_at")}
    if conn.dialect.name == "postgresql":
        stmt: Any = postgresql.insert(TOKENS).values(values).on_conflict_do_update(
            index_elements=["key"], set_=update_cols)
    else:
        stmt = sqlite.insert(TOKENS).values(values).on_conflict_do_update(index_elements=["key"], set_=update_cols)
    conn.execute(stmt)


class TokenManager:
    def __init__(
        self,
        key: str,
        fetch: Fetch,
        store: TokenStore | None = None,
        *,
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key = key
        self.fetch = fetch
        self.store = store
        self.refresh_margin = refresh_margin
        self.clock = clock
        self._token: str | None = None
        self._expires: float = 0.0
        self._lifetime: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0  # how many times the vendor was asked (tests, metrics)

    def _fresh(self, expires: float, lifetime: float | None = None) -> bool:
        # A short-lived token (under twice the margin) is refreshed at half its life, not on every call.
        margin = self.refresh_margin if lifetime is None else min(self.refresh_margin, lifetime / 2)
        return expires - margin > self.clock()

    async def get(self) -> str:
        if self._token is not None and self._fresh(self._expires, self._lifetime):
            return self._token
        async with self._lock:
            if self._token is not None and self._fresh(self._expires, self._lifetime):
                return self._token
            cached = await self._from_store()
            if cached is not None:
                return cached
            lock = self.store.refresh_lock(self.key) if self.store is not None else nullcontext()
            await asyncio.to_thread(lock.__enter__)
            try:
                cached = await self._from_store()  # another process may have refreshed while we waited
                if cached is not None:
                    return cached
                self.fetches += 1
                token, lifetime = await self.fetch()
                log.info("fetched a new token for credential %s (lives %ss)", self.key[:8], int(lifetime))
                self._token, self._expires, self._lifetime = token, self.clock() + lifetime, lifetime
                if self.store is not None:
                    await asyncio.to_thread(
                        self.store.save, self.key, token, datetime.fromtimestamp(self._expires, UTC)
                    )
                return token
            finally:
                await asyncio.to_thread(lock.__exit__, None, None, None)

    async def _from_store(self) -> str | None:
        if self.store is None:
            return None
        found = await asyncio.to_thread(self.store.load, self.key)
        if found is not None and self._fresh(found[1].timestamp()):
            self._token, self._expires = found[0], found[1].timestamp()
            return found[0]
        return None

    async def invalidate(self, token: str | None = None) -> None:
        """Drop ``token`` (or the current one): the vendor said it expired or is invalid."""
        async with self._lock:
            if token is None or token == self._token:
                self._token, self._expires = None, 0.0
                if self.store is not None:
                    found = await asyncio.to_thread(self.store.load, self.key)
                    if found is None or token is None or found[0] == token:
                        await asyncio.to_thread(self.store.forget, self.key)

