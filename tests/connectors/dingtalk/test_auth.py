"""Tokens on the wire (respx): where each generation goes, refresh-and-replay-once on every token failure,
throttling back-off, quota and credential failures that are not retried."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import respx
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from connectors.dingtalk import DingTalkConnector, DingTalkSettings
from hub.errors import AuthExpiredError, RateLimitedError
from hub.sdk import ConnectorContext, VendorError
from hub.security.secrets import SecretBox
from tests.connectors.dingtalk.conftest import Sleeps

NEW = "https://api.dingtalk.com"
OLD = "https://oapi.dingtalk.com"
CODE = "PROC-TEST-0001"
LIST = NEW + "/v1.0/workflow/processes/instanceIds/query"
NOTIFY = OLD + "/topapi/message/corpconversation/asyncsend_v2"
SENT = {"errcode": 0, "errmsg": "ok", "task_id": 7, "request_id": "r"}
LISTED = {"success": True, "result": {"list": []}}


def connector(sleeps: Sleeps | None = None, engine: Engine | None = None, box: SecretBox | None = None
              ) -> DingTalkConnector:
    settings = DingTalkSettings(app_key="dingkey", app_secret="app-secret-value", agent_id=42,
                                process_codes=[CODE])
    return DingTalkConnector(settings, ConnectorContext("dt", "dingtalk", engine=engine, secret_box=box),
                             sleep=sleeps or Sleeps())


def run(dt: DingTalkConnector, work: Callable[[DingTalkConnector], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        try:
            return await work(dt)
        finally:
            await dt.aclose()

    return asyncio.run(go())


async def list_once(dt: DingTalkConnector) -> Any:
    return await dt.client.list_instance_ids(CODE, 0, 1, 0, 20)


async def notify(dt: DingTalkConnector) -> Any:
    return await dt.push("work_notification", {"userid_list": ["u1"], "msgtype": "text", "text": {"content": "hi"}},
                         idempotency_key="k")


def new_tokens(*tokens: str) -> respx.Route:
    answers = [httpx.Response(200, json={"accessToken": t, "expireIn": 7200}) for t in tokens]
    return respx.post(NEW + "/v1.0/oauth2/accessToken").mock(side_effect=answers)


def old_tokens(*tokens: str) -> respx.Route:
    answers = [httpx.Response(200, json={"errcode": 0, "access_token": t, "expires_in": 7200}) for t in tokens]
    return respx.get(OLD + "/gettoken").mock(side_effect=answers)


@respx.mock
def test_the_new_token_goes_in_its_header_and_is_fetched_once() -> None:
    tokens = new_tokens("n1")
    listing = respx.post(LIST).respond(json=LISTED)

    run(connector(), lambda dt: asyncio.gather(list_once(dt), list_once(dt), list_once(dt)))

    assert tokens.call_count == 1
    assert json.loads(tokens.calls[0].request.content) == {"appKey": "dingkey", "appSecret": "app-secret-value"}
    for call in listing.calls:
        assert call.request.headers["x-acs-dingtalk-access-token"] == "n1"
        assert "access_token" not in call.request.url.params
        assert "authorization" not in call.request.headers


@respx.mock
def test_the_old_token_goes_in_the_query() -> None:
    tokens = old_tokens("o1")
    sent = respx.post(NOTIFY).respond(json=SENT)

    run(connector(), notify)

    assert tokens.call_count == 1
    assert dict(tokens.calls[0].request.url.params) == {"appkey": "dingkey", "appsecret": "app-secret-value"}
    assert sent.calls[0].request.url.params["access_token"] == "o1"
    assert "x-acs-dingtalk-access-token" not in sent.calls[0].request.headers


@pytest.mark.parametrize("refusal", [
    httpx.Response(400, json={"code": "InvalidAuthentication", "message": "不合法的access_token"}),
    httpx.Response(401, json={"code": "InvalidAuthentication"}),
], ids=["400", "401"])
@respx.mock
def test_a_refused_new_token_is_refreshed_and_the_call_replayed_once(refusal: httpx.Response) -> None:
    tokens = new_tokens("stale", "fresh")
    listing = respx.post(LIST).mock(side_effect=[refusal, httpx.Response(200, json=LISTED)])

    run(connector(), list_once)

    assert tokens.call_count == 2
    assert [c.request.headers["x-acs-dingtalk-access-token"] for c in listing.calls] == ["stale", "fresh"]


@pytest.mark.parametrize("refusal", [
    {"errcode": 88, "errmsg": "ding talk error[subcode=40014]", "sub_code": "40014", "sub_msg": "不合法的access_token"},
    {"errcode": 40014, "errmsg": "不合法的access_token"},
    {"errcode": 42001, "errmsg": "access_token超时"},
    {"errcode": 88, "sub_code": "42001"},
], ids=["88-sub-40014", "40014", "42001", "88-sub-42001"])
@respx.mock
def test_a_refused_old_token_is_refreshed_and_the_call_replayed_once(refusal: dict[str, Any]) -> None:
    tokens = old_tokens("stale", "fresh")
    sent = respx.post(NOTIFY).mock(side_effect=[httpx.Response(200, json=refusal), httpx.Response(200, json=SENT)])

    result = run(connector(), notify)

    assert tokens.call_count == 2
    assert [c.request.url.params["access_token"] for c in sent.calls] == ["stale", "fresh"]
    assert result.external_id == "7"


@respx.mock
def test_a_token_refused_again_after_the_refresh_fails_instead_of_looping() -> None:
    tokens = new_tokens("t1", "t2", "t3")
    listing = respx.post(LIST).respond(400, json={"code": "InvalidAuthentication"})

    with pytest.raises(AuthExpiredError):
        run(connector(), list_once)

    assert (tokens.call_count, listing.call_count) == (2, 2)


@respx.mock
def test_a_burst_of_refusals_with_one_stale_token_refreshes_it_once() -> None:
    tokens = new_tokens("stale", "fresh")
    refused = itertools.count()

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers["x-acs-dingtalk-access-token"] == "stale":
            next(refused)
            return httpx.Response(400, json={"code": "InvalidAuthentication"})
        return httpx.Response(200, json=LISTED)

    respx.post(LIST).mock(side_effect=answer)

    run(connector(), lambda dt: asyncio.gather(*(list_once(dt) for _ in range(5))))

    assert tokens.call_count == 2


@respx.mock
def test_tokens_are_shared_through_the_database_by_every_worker(db_engine: Engine) -> None:
    box = SecretBox(Fernet.generate_key().decode())
    tokens = new_tokens("shared")
    respx.post(LIST).respond(json=LISTED)

    run(connector(engine=db_engine, box=box), list_once)
    run(connector(engine=db_engine, box=box), list_once)  # another worker: finds the cached token

    assert tokens.call_count == 1


@respx.mock
def test_new_api_throttling_backs_off_about_a_second_and_retries() -> None:
    new_tokens("n1")
    throttled = httpx.Response(403, json={"code": "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"})
    listing = respx.post(LIST).mock(side_effect=[throttled, throttled, httpx.Response(200, json=LISTED)])
    sleeps = Sleeps()

    run(connector(sleeps), list_once)

    assert listing.call_count == 3
    assert sleeps.waits == [1.0, 1.0]


@respx.mock
def test_old_api_throttling_backs_off_and_sends_the_notification_once() -> None:
    old_tokens("o1")
    sent = respx.post(NOTIFY).mock(side_effect=[httpx.Response(200, json={"errcode": 90018}),
                                                httpx.Response(200, json={"errcode": 88, "sub_code": "90002"}),
                                                httpx.Response(200, json=SENT)])
    sleeps = Sleeps()

    result = run(connector(sleeps), notify)

    assert sent.call_count == 3
    assert sleeps.waits == [1.0, 1.0]
    assert result.created


@respx.mock
def test_http_429_waits_as_long_as_retry_after_says() -> None:
    new_tokens("n1")
    listing = respx.post(LIST).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "3"}),
                                                 httpx.Response(200, json=LISTED)])
    sleeps = Sleeps()

    run(connector(sleeps), list_once)

    assert (listing.call_count, sleeps.waits) == (2, [3.0])


@pytest.mark.parametrize(("url", "answer", "work"), [
    (LIST, httpx.Response(403, json={"code": "Forbidden.AccessDenied.ApiCountLimitForOrg"}), list_once),
    (NOTIFY, httpx.Response(200, json={"errcode": 90020, "errmsg": "企业当月调用量已超过限额"}), notify),
], ids=["new", "old"])
@respx.mock
def test_a_used_up_quota_fails_at_once_without_retrying(url: str, answer: httpx.Response, work: Any) -> None:
    new_tokens("n1")
    old_tokens("o1")
    route = respx.post(url).mock(return_value=answer)
    sleeps = Sleeps()

    with pytest.raises(VendorError, match="quota"):
        run(connector(sleeps), work)

    assert (route.call_count, sleeps.waits) == (1, [])


@respx.mock
def test_wrong_credentials_are_a_clear_fatal_error_on_both_hosts() -> None:
    respx.post(NEW + "/v1.0/oauth2/accessToken").respond(400, json={"code": "invalidClientIdOrSecret"})
    respx.get(OLD + "/gettoken").respond(json={"errcode": 40096, "errmsg": "不合法的appKey或appSecret"})

    with pytest.raises(VendorError, match="app_key/app_secret"):
        run(connector(), list_once)
    with pytest.raises(VendorError, match="app_key/app_secret"):
        run(connector(), notify)
    health = run(connector(), lambda dt: dt.check())
    assert not health.ok
    assert "app_key/app_secret" in health.message


@respx.mock
def test_a_robot_rate_limit_is_left_to_the_job_not_waited_out_in_the_call() -> None:
    robot = respx.post(OLD + "/robot/send").respond(json={"errcode": 660026, "errmsg": "send too fast"})
    settings = DingTalkSettings(app_key="k", app_secret="s", robot_access_token="rt",
                                robot_secret="SECabc")
    sleeps = Sleeps()
    dt = DingTalkConnector(settings, ConnectorContext("dt", "dingtalk"), sleep=sleeps)

    with pytest.raises(RateLimitedError) as raised:
        run(dt, lambda d: d.push("robot", {"msgtype": "text", "text": {"content": "hi"}}, idempotency_key="r1"))

    assert raised.value.retry_after == 600.0  # throttled for 10 minutes: the job is rescheduled
    assert (robot.call_count, sleeps.waits) == (1, [])
