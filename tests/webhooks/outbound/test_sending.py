"""One attempt, on each transport (httpx's own and aiohttp's): what is sent, and what each answer becomes."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from hub.security.ssrf import Network
from tests.webhooks.outbound.conftest import LOCAL
from tests.webhooks.outbound.receiver import Answer, Receiver
from webhooks.outbound.queue import AttemptResult, Claim
from webhooks.outbound.sending import Sender
from webhooks.outbound.subscriptions import Endpoint
from webhooks.outbound.transports import Http, aiohttp_available
from webhooks.signatures import new_secret

TRANSPORTS = [
    "httpx",
    pytest.param("aiohttp", marks=pytest.mark.skipif(not aiohttp_available(), reason="aiohttp not installed")),
]
SECRET = new_secret()
CLAIM = Claim("dlv_1", "sub_1", "evt_1", "order.created", '{"type":"order.created","data":{"note":"加急"}}', 1)


@pytest.fixture(params=TRANSPORTS)
def http(request: pytest.FixtureRequest) -> Http:
    value: Http = request.param
    return value


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.close()


def send(http: Http, url: str, *, allowed: list[Network] = LOCAL, timeout: float = 5.0) -> AttemptResult:
    endpoint = Endpoint("sub_1", "mes", url, {"X-Tenant": "acme"}, SECRET, None, None, None, None, False,
                        datetime.now(UTC))

    async def go() -> AttemptResult:
        sender = Sender(allowed=allowed, timeout=timeout, http=http)
        try:
            return await sender.send(endpoint, CLAIM)
        finally:
            await sender.aclose()

    return asyncio.run(go())


def test_the_body_and_headers_are_signed_and_sent_as_is(http: Http, receiver: Receiver) -> None:
    result = send(http, receiver.url())

    assert result.status_code == 204
    [request] = receiver.requests
    assert request.body == CLAIM.body.encode()
    assert request.headers["x-tenant"] == "acme"
    assert request.headers["webhook-id"] == "evt_1"
    Webhook(SECRET).verify(request.body, request.headers)


def test_a_long_answer_is_kept_to_a_kilobyte(http: Http, receiver: Receiver) -> None:
    receiver.answer(Answer(200, body=b"a" * 100_000))

    result = send(http, receiver.url())

    assert result.status_code == 200
    assert result.response_body == "a" * 1024


def test_a_redirect_is_not_followed(http: Http, receiver: Receiver) -> None:
    receiver.answer(Answer(307, headers={"Location": receiver.url("/other")}))

    result = send(http, receiver.url())

    assert result.status_code == 307
    assert result.error is not None
    assert "redirects are not followed (Location: http://127.0.0.1" in result.error
    assert [r.path for r in receiver.requests] == ["/hook"]


def test_retry_after_is_read(http: Http, receiver: Receiver) -> None:
    receiver.answer(Answer(429, headers={"Retry-After": "30"}))

    result = send(http, receiver.url())

    assert (result.status_code, result.retry_after) == (429, 30.0)


def test_no_answer_in_time_is_an_error(http: Http, receiver: Receiver) -> None:
    receiver.answer(Answer(204, delay=1.0))

    result = send(http, receiver.url(), timeout=0.2)

    assert result.status_code is None
    assert result.error == "no answer within 0.2 s"


def test_a_refused_connection_is_an_error(http: Http) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed

    result = send(http, f"http://127.0.0.1:{port}/hook")

    assert result.status_code is None
    assert result.error


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_guard_refuses_before_connecting(http: Http, receiver: Receiver, host: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    connects: list[object] = []
    original = socket.socket.connect

    def spy(self: socket.socket, address: object) -> None:
        connects.append(address)
        original(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", spy)

    result = send(http, f"http://{host}:{receiver.port}/hook", allowed=[])

    assert result.status_code is None
    assert result.error is not None
    assert result.error.startswith("blocked by the SSRF guard:")
    assert "loopback" in result.error
    assert receiver.requests == []
    assert connects == []
