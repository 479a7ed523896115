"""Retention of inbound messages: old bodies go; a late duplicate is still recognised; nothing unfinished is touched."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from hub.db.types import utcnow
from tests.api.builders import bearer
from tests.webhooks.inbound.conftest import Process
from tests.webhooks.inbound.helpers import erp_headers, ids, order, standard_headers
from webhooks.inbound.messages import get_message, store_rejected
from webhooks.inbound.retention import purge_messages


def _age(engine: Engine, days: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE inbound_messages SET received_at = :at"),
                     {"at": (utcnow() - timedelta(days=days)).isoformat(timespec="microseconds")})


def test_old_processed_bodies_are_cleared_and_rejected_requests_deleted(
    client: TestClient, db_engine: Engine, process: Process
) -> None:
    body = order("SO-1")
    first = client.post("/webhooks/in/shop", content=body, headers=standard_headers(body, "msg_1"))
    process()
    pending = ids(client.post("/webhooks/in/erp", content=order("SO-2"), headers=erp_headers()))
    with db_engine.begin() as conn:
        rejected = store_rejected(conn, "webhook", "shop", order("SO-3"), {}, reason="signature", message="bad")
    _age(db_engine, 40)

    with db_engine.begin() as conn:
        purged = purge_messages(conn, before=utcnow() - timedelta(days=30))

    assert (purged.emptied, purged.deleted) == (1, 1)
    with db_engine.connect() as conn:
        kept = get_message(conn, ids(first))
        assert (kept["status"], kept["body"], kept["result"]["records"][0]["external_id"]) == ("processed", "", "SO-1")
        assert get_message(conn, pending)["body"]  # not processed yet: untouched
        assert conn.execute(text("SELECT count(*) FROM inbound_messages WHERE id = :id"),
                            {"id": rejected}).scalar() == 0
    again = client.post("/webhooks/in/shop", content=body, headers=standard_headers(body, "msg_1"))
    assert (again.status_code, ids(again)) == (200, ids(first))  # the sender's late retry is still a duplicate


def test_a_purged_message_cannot_be_replayed(client: TestClient, db_engine: Engine, process: Process) -> None:
    body = order("SO-1")
    message_id = ids(client.post("/webhooks/in/shop", content=body, headers=standard_headers(body, "msg_1")))
    process()
    _age(db_engine, 40)
    with db_engine.begin() as conn:
        purge_messages(conn, before=utcnow() - timedelta(days=30))

    response = client.post(f"/api/v1/inbound/{message_id}/replay", headers=bearer(db_engine, "operator"))

    assert response.status_code == 409
    assert "removed by retention" in response.json()["error"]["message"]


def test_recent_messages_are_kept_whole(client: TestClient, db_engine: Engine, process: Process) -> None:
    body = order("SO-1")
    client.post("/webhooks/in/shop", content=body, headers=standard_headers(body, "msg_1"))
    process()

    with db_engine.begin() as conn:
        assert purge_messages(conn, before=utcnow() - timedelta(days=30)).emptied == 0
