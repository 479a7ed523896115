"""Re-encrypting every stored secret under the newest of ``HUB_SECRET_KEY``'s keys. Caller's transaction.

Rotation in three moves: put a new key first in HUB_SECRET_KEY and keep the old one after it
(everything still decrypts, new writes use the new key); run ``hub secrets rotate-key`` to
re-encrypt what is stored; then drop the old key.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, select, update

from hub.errors import ConfigError
from hub.sdk.tokens import TOKENS
from hub.security.secrets import SecretBox
from webhooks.outbound.tables import SUBSCRIPTIONS

# Every encrypted column: (table, its key column, the encrypted columns).
ENCRYPTED: tuple[tuple[Table, str, tuple[str, ...]], ...] = (
    (SUBSCRIPTIONS, "id", ("secret", "previous_secret", "signing_key", "headers")),
    (TOKENS, "key", ("token",)),
)


def rotate_stored_secrets(conn: Connection, box: SecretBox) -> dict[str, int]:
    """Re-encrypt every stored secret with the newest key; how many values per table.

    A value no key can decrypt raises ConfigError (naming the table) and nothing is changed.
    """
    counts: dict[str, int] = {}
    for table, key, columns in ENCRYPTED:
        rotated = 0
        for row in conn.execute(select(table.c[key], *(table.c[c] for c in columns))).mappings():
            try:
                values = {c: box.rotate(row[c]) for c in columns if row[c]}
            except ConfigError as exc:
                raise ConfigError(f"{table.name} {row[key]}: {exc.message}; nothing was re-encrypted",
                                  details={"table": table.name}) from None
            if values:
                conn.execute(update(table).where(table.c[key] == row[key]).values(values))
                rotated += len(values)
        counts[table.name] = rotated
    return counts
