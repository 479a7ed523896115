"""Where each stream left off: read before a run, written in the same transaction as each page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from hub.db.types import utcnow
from hub.sdk.contract import StreamState
from hub.sync.tables import SyncStateRow

STATES = SyncStateRow.__table__  # type: ignore[attr-defined]


def load_state(conn: Connection, connector: str, stream: str) -> StreamState:
    """The saved state, or an empty one (the stream was never synced)."""
    query = select(STATES.c.state).where(STATES.c.connector == connector, STATES.c.stream == stream)
    value = conn.execute(query).scalar()
    return StreamState.from_json(value)


def save_state(conn: Connection, connector: str, stream: str, state: StreamState, *, run_id: str | None) -> None:
    """Write the state in the caller's transaction: committed together with the page it follows."""
    values: dict[str, Any] = {
        "connector": connector, "stream": stream, "state": state.to_json(), "updated_at": utcnow(), "run_id": run_id,
    }
    changed = {k: values[k] for k in ("state", "updated_at", "run_id")}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt: Any = dialect.insert(STATES).values(values).on_conflict_do_update(
        index_elements=["connector", "stream"], set_=changed
    )
    conn.execute(stmt)


def reset_state(conn: Connection, connector: str, stream: str | None = None) -> int:
    """Forget where a connector's streams (or one of them) left off: the next run reads from the start."""
    query = delete(STATES).where(STATES.c.connector == connector)
    if stream is not None:
        query = query.where(STATES.c.stream == stream)
    return conn.execute(query).rowcount
