"""What the endpoint answers when, and what it stores before answering."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.webhooks.inbound.helpers import (
    crm_headers,
    erp_headers,
    github_headers,
    ids,
    order,
    standard_headers,
    stored,
)
from webhooks.inbound import accept


def _engine(client: TestClient) -> Engine:
    engine = client.app.state.hub.engine  # type: ignore[attr-defined]
    assert isinstance(engine, Engine)
    return engine


def test_unknown_source_is_404(client: TestClient) -> None:
    response = client.post("/webhooks/in/nosuch", content=b"{}")

    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "unknown_source", "message": "no inbound source 'nosuch': add it under sources: in hub.yaml",
        "details": None,
    }


def test_accepted_message_is_202_with_its_id_and_stored_raw_with_its_headers(client: TestClient) -> None:
    body = order("SO-1")

    response = client.post("/webhooks/in/shop", content=body,
                           headers={**standard_headers(body, "msg_1"), "User-Agent": "shop/1.0"})

    assert response.status_code == 202
    [row] = stored(_engine(client))
    assert response.json() == {"id": row["id"]}
    assert (row["channel"], row["source"], row["dedupe_key"], row["status"]) == ("webhook", "shop", "msg_1", "pending")
    assert bytes(row["body"]) == body
    assert row["headers"]["webhook-id"] == "msg_1"
    assert row["headers"]["user-agent"] == "shop/1.0"
    assert "host" not in row["headers"]


def test_credentials_are_not_stored_with_the_headers(client: TestClient) -> None:
    headers = {**erp_headers(), "Authorization": "Bearer abc", "Cookie": "s=1", "X-Gitee-Token": "t"}

    client.post("/webhooks/in/erp", content=order("SO-1"), headers=headers)

    [row] = stored(_engine(client))
    assert set(row["headers"]) == {"content-type", "user-agent", "accept", "accept-encoding"}


def test_the_job_that_processes_it_is_committed_with_it(client: TestClient) -> None:
    message_id = ids(client.post("/webhooks/in/erp", content=order("SO-1"), headers=erp_headers()))

    with _engine(client).connect() as conn:
        [(kind, payload)] = conn.exec_driver_sql("SELECT kind, payload FROM jobs").all()
    assert (kind, json.loads(payload)) == ("inbound", {"ids": [message_id]})


def test_body_that_is_not_json_is_400_after_verification(client: TestClient) -> None:
    response = client.post("/webhooks/in/erp", content=b'{"order_id": ', headers=erp_headers())

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("the body is not valid JSON: Expecting value at line 1")
    assert stored(_engine(client)) == []


def test_unverified_garbage_is_401_not_400(client: TestClient) -> None:
    assert client.post("/webhooks/in/erp", content=b"not json").status_code == 401


class TestSizeLimit:
    def test_declared_length_over_the_limit_is_413(self, client: TestClient) -> None:
        response = client.post("/webhooks/in/erp", content=b"x" * 2049, headers=erp_headers())

        assert response.status_code == 413
        assert response.json()["error"] == {
            "code": "payload_too_large", "message": "the body is larger than this source accepts (2,048 bytes)",
            "details": {"limit": 2048},
        }

    def test_body_at_the_limit_is_read(self, client: TestClient) -> None:
        body = json.dumps({"order_id": "SO-1", "pad": "x" * 2000}).encode()
        body += b" " * (2048 - len(body))

        assert client.post("/webhooks/in/erp", content=body, headers=erp_headers()).status_code == 202

    def test_the_default_limit_is_one_mebibyte(self, client: TestClient) -> None:
        body = b"[" + b" " * (1024 * 1024) + b"]"

        response = client.post("/webhooks/in/shop", content=body, headers=standard_headers(body, "big"))

        assert response.status_code == 413
        assert "1,048,576 bytes" in response.json()["error"]["message"]

    def test_a_chunked_body_is_cut_off_at_the_limit(self, client: TestClient) -> None:
        def chunks() -> Any:
            for _ in range(100):
                yield b"x" * 1000

        response = client.post("/webhooks/in/erp", content=chunks(), headers=erp_headers())

        assert response.status_code == 413
        assert "content-length" not in {k.lower() for k in response.request.headers}

    def test_a_lying_content_length_does_not_get_past_the_limit(self, client: TestClient) -> None:
        received: list[int] = []

        async def post() -> tuple[int, dict[str, Any]]:
            messages: list[dict[str, Any]] = []
            body_parts = [b"x" * 1000] * 50  # 50 kB behind a Content-Length of 10

            async def receive() -> dict[str, Any]:
                chunk = body_parts.pop() if body_parts else b""
                received.append(len(chunk))
                return {"type": "http.request", "body": chunk, "more_body": bool(body_parts)}

            async def send(message: dict[str, Any]) -> None:
                messages.append(message)

            scope = {
                "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                "scheme": "http", "path": "/webhooks/in/erp", "raw_path": b"/webhooks/in/erp", "query_string": b"",
                "root_path": "", "headers": [(b"content-length", b"10"), (b"x-api-key", b"erp-api-key-123")],
                "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "app": client.app, "state": {},
            }
            await client.app(scope, receive, send)  # type: ignore[arg-type]
            start = next(m for m in messages if m["type"] == "http.response.start")
            body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
            return start["status"], json.loads(body)

        status, answer = client.portal.call(post)  # type: ignore[union-attr]

        assert status == 413
        assert answer["error"]["code"] == "payload_too_large"
        assert sum(received) <= 3000  # stopped reading just past the limit, not at 50 kB

    def test_a_content_length_that_is_not_a_number_is_400(self, client: TestClient) -> None:
        async def post() -> int:
            statuses: list[int] = []

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": b"{}", "more_body": False}

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    statuses.append(message["status"])

            scope = {
                "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                "scheme": "http", "path": "/webhooks/in/erp", "raw_path": b"/webhooks/in/erp", "query_string": b"",
                "root_path": "", "headers": [(b"content-length", b"ten")], "client": ("127.0.0.1", 1),
                "server": ("127.0.0.1", 80), "app": client.app, "state": {},
            }
            await client.app(scope, receive, send)  # type: ignore[arg-type]
            return statuses[0]

        assert client.portal.call(post) == 400  # type: ignore[union-attr]


class TestDuplicates:
    def test_same_webhook_id_is_200_with_the_first_id(self, client: TestClient) -> None:
        body = order("SO-1")
        first = client.post("/webhooks/in/shop", content=body, headers=standard_headers(body, "msg_1"))

        again = client.post("/webhooks/in/shop", content=body, headers=standard_headers(body, "msg_1"))

        assert (first.status_code, again.status_code) == (202, 200)
        assert again.json() == first.json()
        assert len(stored(_engine(client))) == 1

    def test_a_new_webhook_id_is_a_new_message(self, client: TestClient) -> None:
        body = order("SO-1")
        first = client.post("/webhooks/in/shop", content=body, headers=standard_headers(body, "msg_1"))
        second = client.post("/webhooks/in/shop", content=body, headers=standard_headers(body, "msg_2"))

        assert second.status_code == 202
        assert ids(second) != ids(first)

    def test_same_json_path_value_is_a_duplicate(self, client: TestClient) -> None:
        first = client.post("/webhooks/in/crm", content=order("SO-1"), headers=crm_headers(order("SO-1")))
        body = order("SO-1", state="paid")  # same $.order_id, another payload

        again = client.post("/webhooks/in/crm", content=body, headers=crm_headers(body))

        assert (first.status_code, again.status_code) == (202, 200)
        assert ids(again) == ids(first)
        assert stored(_engine(client))[0]["dedupe_key"] == "SO-1"

    def test_a_body_without_the_json_path_value_is_accepted_without_deduplication(self, client: TestClient) -> None:
        body = json.dumps({"no": "order id"}).encode()
        first = client.post("/webhooks/in/crm", content=body, headers=crm_headers(body))
        again = client.post("/webhooks/in/crm", content=body, headers=crm_headers(body))

        assert (first.status_code, again.status_code) == (202, 202)
        assert [r["dedupe_key"] for r in stored(_engine(client))] == [None, None]

    def test_same_header_value_is_a_duplicate(self, client: TestClient) -> None:
        first = client.post("/webhooks/in/git", content=order("SO-1"), headers=github_headers(order("SO-1"), "d-1"))
        again = client.post("/webhooks/in/git", content=order("SO-2"), headers=github_headers(order("SO-2"), "d-1"))

        assert again.status_code == 200
        assert ids(again) == ids(first)

    def test_keys_are_per_source(self, client: TestClient) -> None:
        shop = client.post("/webhooks/in/crm", content=order("SO-1"), headers=crm_headers(order("SO-1")))
        body = order("SO-1")
        other = client.post("/webhooks/in/shop", content=body, headers=standard_headers(body, "SO-1"))

        assert (shop.status_code, other.status_code) == (202, 202)

    def test_concurrent_requests_with_one_key_store_one_message(self, client: TestClient) -> None:
        body = order("SO-1")

        async def burst() -> list[httpx.Response]:
            transport = httpx.ASGITransport(app=client.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
                return await asyncio.gather(*(
                    http.post("/webhooks/in/shop", content=body, headers=standard_headers(body, "msg_same"))
                    for _ in range(20)
                ))

        responses = client.portal.call(burst)  # type: ignore[union-attr]

        assert sorted(r.status_code for r in responses) == [200] * 19 + [202]
        assert len({ids(r) for r in responses}) == 1
        assert len(stored(_engine(client))) == 1


def test_concurrent_transactions_with_one_key_store_one_message(engine: Engine) -> None:
    """The unique index, not the group commit, is what holds: separate transactions racing, on both backends."""
    results: list[Any] = []
    barrier = threading.Barrier(8)

    def race() -> None:
        barrier.wait()
        with engine.begin() as conn:
            results.append(accept(conn, "webhook", "shop", b"{}", {}, dedupe_key="msg_race"))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r.duplicate for r in results) == [False] + [True] * 7
    assert len({r.id for r in results}) == 1
    assert len(stored(engine)) == 1
