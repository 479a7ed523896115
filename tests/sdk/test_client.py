"""The vendor client: success, in-body errors, retries with Retry-After, one token refresh, clear failures."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import respx

from hub.errors import AuthExpiredError, RateLimitedError, RetryableError
from hub.sdk import Action, Credentials, ErrorRule, ErrorTable, RetryPolicy, VendorClient, VendorError

WECOM_LIKE = ErrorTable(
    "wecom",
    code_of=lambda body: body.get("errcode"),
    message_of=lambda body: body.get("errmsg"),
    ok_codes={0},
    rules=[
        ErrorRule(Action.REFRESH_TOKEN, codes={40014, 42001}, note="access_token invalid or expired"),
        ErrorRule(Action.RATE_LIMITED, codes={45009}, wait=2.0, note="call frequency over the limit"),
        ErrorRule(Action.FAIL, codes={60020}, note="this server's IP is not on the app's allow-list"),
        ErrorRule(Action.RETRY, codes={-1}, note="system busy"),
    ],
)
URL = "https://vendor.test/api/thing"


class FakeAuth:
    def __init__(self) -> None:
        self.token = "t1"
        self.refreshes = 0

    async def credentials(self) -> Credentials:
        return Credentials(params={"access_token": self.token})

    async def refresh(self, used: Credentials) -> None:
        self.refreshes += 1
        self.token = f"t{self.refreshes + 1}"


def _client(auth: FakeAuth | None = None, attempts: int = 4) -> tuple[VendorClient, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    client = VendorClient(httpx.AsyncClient(), WECOM_LIKE, retry=RetryPolicy(attempts=attempts), auth=auth,
                          sleep=sleep)
    return client, slept


def _call(client: VendorClient) -> Any:
    return asyncio.run(client.call("GET", URL, what="thing/get"))


@respx.mock
def test_an_ok_body_is_returned() -> None:
    respx.get(URL).respond(json={"errcode": 0, "errmsg": "ok", "value": 7})
    client, _ = _client()

    assert _call(client)["value"] == 7


@respx.mock
def test_an_expired_token_inside_a_200_is_refreshed_once_and_replayed() -> None:
    route = respx.get(URL)
    route.side_effect = [
        httpx.Response(200, json={"errcode": 42001, "errmsg": "access_token expired"}),
        httpx.Response(200, json={"errcode": 0, "value": 1}),
    ]
    auth = FakeAuth()
    client, slept = _client(auth)

    assert _call(client)["value"] == 1
    assert auth.refreshes == 1
    assert route.calls[1].request.url.params["access_token"] == "t2"
    assert slept == []


@respx.mock
def test_a_token_rejected_again_after_refresh_fails_as_auth_expired() -> None:
    respx.get(URL).respond(json={"errcode": 40014, "errmsg": "invalid access_token"})
    auth = FakeAuth()
    client, _ = _client(auth)

    with pytest.raises(AuthExpiredError, match="40014"):
        _call(client)
    assert auth.refreshes == 1


@respx.mock
def test_rate_limits_wait_the_rules_time_and_retry() -> None:
    route = respx.get(URL)
    route.side_effect = [
        httpx.Response(200, json={"errcode": 45009, "errmsg": "api freq out of limit"}),
        httpx.Response(200, json={"errcode": 0}),
    ]
    client, slept = _client()

    _call(client)

    assert slept == [2.0]


@respx.mock
def test_http_429_honours_retry_after() -> None:
    route = respx.get(URL)
    route.side_effect = [httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={"errcode": 0})]
    client, slept = _client()

    _call(client)

    assert slept == [7.0]


@respx.mock
def test_server_errors_and_timeouts_back_off_then_give_up_as_retryable() -> None:
    route = respx.get(URL)
    route.side_effect = [httpx.Response(500), httpx.ConnectTimeout("slow"), httpx.Response(502)]
    client, slept = _client(attempts=3)

    with pytest.raises(RetryableError, match="HTTP 502"):
        _call(client)
    assert len(slept) == 2
    assert route.call_count == 3


@respx.mock
def test_a_retry_after_longer_than_the_policy_allows_is_raised_for_the_job_to_reschedule() -> None:
    respx.get(URL).respond(429, headers={"Retry-After": "3600"})
    client, slept = _client()

    with pytest.raises(RateLimitedError) as caught:
        _call(client)
    assert caught.value.retry_after == 3600
    assert slept == []


@respx.mock
def test_a_permission_error_fails_at_once_with_the_admins_explanation() -> None:
    respx.get(URL).respond(json={"errcode": 60020, "errmsg": "not allow to access from your ip"})
    client, slept = _client()

    with pytest.raises(VendorError, match="allow-list") as caught:
        _call(client)
    assert caught.value.details["code"] == "60020"
    assert slept == []


@respx.mock
def test_an_unknown_in_body_code_is_a_failure_not_a_success() -> None:
    respx.get(URL).respond(json={"errcode": 81013, "errmsg": "user & party & tag all invalid"})
    client, _ = _client()

    with pytest.raises(VendorError, match="81013"):
        _call(client)


@respx.mock
def test_a_query_written_in_the_url_survives_the_token_parameter() -> None:
    route = respx.get("https://vendor.test/api/detail").respond(json={"errcode": 0})
    client, _ = _client(FakeAuth())

    asyncio.run(client.call("GET", "https://vendor.test/api/detail?id=42", what="detail"))

    params = route.calls[0].request.url.params
    assert params["id"] == "42"
    assert params["access_token"] == "t1"
