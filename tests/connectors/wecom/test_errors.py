"""The error table, and the client's answers to each kind of refusal (respx: a fake WeCom, call by call)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import respx

from connectors.wecom import WeComSettings
from connectors.wecom.client import WeComClient
from connectors.wecom.errors import GETTOKEN_ERRORS, WECOM_ERRORS
from hub.errors import AuthExpiredError, RateLimitedError, RetryableError
from hub.sdk import Action, VendorError, VendorRecordError
from tests.connectors.wecom.conftest import Sleeps

BASE = "https://qyapi.weixin.qq.com/cgi-bin/"
SETTINGS = WeComSettings(corp_id="ww0123456789abcdef", corp_secret="app-secret-value", agent_id=1000002,
                         max_calls_per_second=None)


def body(code: int, **extra: Any) -> dict[str, Any]:
    return {"errcode": code, "errmsg": "ok" if code == 0 else f"error {code}", **extra}


ROWS = [
    pytest.param(body(0), Action.OK, id="0-ok"),
    pytest.param(body(-1), Action.RETRY, id="-1-busy"),
    pytest.param(body(40001), Action.REFRESH_TOKEN, id="40001-invalid-credential"),
    pytest.param(body(40014), Action.REFRESH_TOKEN, id="40014-invalid-token"),
    pytest.param(body(42001), Action.REFRESH_TOKEN, id="42001-token-expired"),
    pytest.param(body(45009), Action.RATE_LIMITED, id="45009-frequency"),
    pytest.param(body(45033), Action.RATE_LIMITED, id="45033-concurrency"),
    pytest.param(body(60020), Action.FAIL, id="60020-ip-allow-list"),
    pytest.param(body(48002), Action.FAIL, id="48002-api-not-granted"),
    pytest.param(body(60011), Action.FAIL, id="60011-visible-range"),
    pytest.param(body(40013), Action.FAIL, id="40013-corpid"),
    pytest.param(body(41001), Action.FAIL, id="41001-no-token"),
    pytest.param(body(81013), Action.SKIP_RECORD, id="81013-no-valid-recipient"),
    pytest.param(body(40003), Action.SKIP_RECORD, id="40003-userid"),
    pytest.param(body(40058), Action.SKIP_RECORD, id="40058-parameter"),
    pytest.param(body(40096), Action.SKIP_RECORD, id="40096-external-userid"),
    pytest.param(body(84061), Action.SKIP_RECORD, id="84061-no-relation"),
    pytest.param(body(44004), Action.SKIP_RECORD, id="44004-empty-content"),
    pytest.param(body(45002), Action.SKIP_RECORD, id="45002-too-large"),
    pytest.param(body(99999), Action.FAIL, id="unknown-code-fails"),
    pytest.param("<html>gateway</html>", Action.FAIL, id="not-json"),
]


@pytest.mark.parametrize(("answer", "action"), ROWS)
def test_each_answer_has_one_action(answer: Any, action: Action) -> None:
    assert WECOM_ERRORS.classify(200, answer).action is action


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_http_5xx_is_retried(status: int) -> None:
    assert WECOM_ERRORS.classify(status, None).action is Action.RETRY


def test_gettoken_refusing_the_secret_is_fatal_not_a_refresh() -> None:
    assert GETTOKEN_ERRORS.classify(200, body(40001)).action is Action.FAIL
    assert GETTOKEN_ERRORS.classify(200, body(60020)).action is Action.FAIL
    assert GETTOKEN_ERRORS.classify(200, body(-1)).action is Action.RETRY


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def _client(sleeps: Sleeps) -> tuple[WeComClient, httpx.AsyncClient]:
    http = httpx.AsyncClient(base_url=BASE)
    return WeComClient(http, SETTINGS, sleep=sleeps), http


def _tokens(router: respx.Router, *values: str) -> respx.Route:
    return router.get(BASE + "gettoken").mock(
        side_effect=[httpx.Response(200, json=body(0, access_token=v, expires_in=7200)) for v in values])


async def _get(sleeps: Sleeps, path: str = "agent/get") -> dict[str, Any]:
    client, http = _client(sleeps)
    try:
        return await client.get(path, scope="app", params={"agentid": 1000002})
    finally:
        await http.aclose()


@pytest.mark.parametrize("code", [40001, 40014, 42001])
def test_a_refused_token_is_refreshed_and_the_call_replayed_once(code: int, sleeps: Sleeps) -> None:
    with respx.mock(assert_all_called=True) as router:
        gettoken = _tokens(router, "token-1", "token-2")
        api = router.get(BASE + "agent/get").mock(side_effect=[
            httpx.Response(200, json=body(code)), httpx.Response(200, json=body(0, name="集成中心"))])

        answer = _run(_get(sleeps))

    assert answer["name"] == "集成中心"
    assert gettoken.call_count == 2
    assert [c.request.url.params["access_token"] for c in api.calls] == ["token-1", "token-2"]
    assert sleeps.waits == []  # a refresh is not a back-off


@pytest.mark.parametrize("code", [40001, 40014, 42001])
def test_a_token_refused_again_after_the_refresh_is_not_replayed_twice(code: int, sleeps: Sleeps) -> None:
    with respx.mock() as router:
        gettoken = _tokens(router, "token-1", "token-2", "token-3")
        api = router.get(BASE + "agent/get").mock(return_value=httpx.Response(200, json=body(code)))

        with pytest.raises(AuthExpiredError, match=str(code)):
            _run(_get(sleeps))

    assert (gettoken.call_count, api.call_count) == (2, 2)


def test_45009_backs_off_without_refreshing_the_token(sleeps: Sleeps) -> None:
    with respx.mock() as router:
        gettoken = _tokens(router, "token-1")
        api = router.get(BASE + "agent/get").mock(side_effect=[
            httpx.Response(200, json=body(45009)), httpx.Response(200, json=body(0, name="集成中心"))])

        _run(_get(sleeps))

    assert gettoken.call_count == 1
    assert [c.request.url.params["access_token"] for c in api.calls] == ["token-1", "token-1"]
    assert sleeps.waits == [60.0]


def test_45009_that_persists_ends_as_a_rate_limit_error_for_the_job_to_reschedule(sleeps: Sleeps) -> None:
    with respx.mock() as router:
        _tokens(router, "token-1")
        router.get(BASE + "agent/get").mock(return_value=httpx.Response(200, json=body(45009)))

        with pytest.raises(RateLimitedError) as caught:
            _run(_get(sleeps))

    assert caught.value.retry_after == 60.0


def test_60020_is_a_fatal_error_that_tells_the_admin_about_the_ip_allow_list(sleeps: Sleeps) -> None:
    with respx.mock() as router:
        _tokens(router, "token-1")
        api = router.get(BASE + "agent/get").mock(return_value=httpx.Response(200, json=body(60020)))

        with pytest.raises(VendorError) as caught:
            _run(_get(sleeps))

    assert api.call_count == 1  # never retried
    message = str(caught.value)
    assert "60020" in message
    assert "企业可信IP" in message
    assert "IP" in message


def test_60020_on_gettoken_is_the_same_admin_error(sleeps: Sleeps) -> None:
    with respx.mock() as router:
        router.get(BASE + "gettoken").mock(return_value=httpx.Response(200, json=body(60020)))

        with pytest.raises(VendorError, match="企业可信IP"):
            _run(_get(sleeps))


def test_system_busy_is_retried_at_most_three_times(sleeps: Sleeps) -> None:
    with respx.mock() as router:
        _tokens(router, "token-1")
        api = router.get(BASE + "agent/get").mock(return_value=httpx.Response(200, json=body(-1)))

        with pytest.raises(RetryableError, match="busy"):
            _run(_get(sleeps))

    assert api.call_count == 4
    assert len(sleeps.waits) == 3


def test_system_busy_then_success_succeeds(sleeps: Sleeps) -> None:
    with respx.mock() as router:
        _tokens(router, "token-1")
        router.get(BASE + "agent/get").mock(side_effect=[
            httpx.Response(200, json=body(-1)), httpx.Response(200, json=body(-1)),
            httpx.Response(200, json=body(0, name="集成中心"))])

        assert _run(_get(sleeps))["name"] == "集成中心"


def test_a_wrong_secret_fails_at_gettoken_naming_the_setting(sleeps: Sleeps) -> None:
    with respx.mock() as router:
        gettoken = router.get(BASE + "gettoken").mock(return_value=httpx.Response(200, json=body(40001)))

        with pytest.raises(VendorError, match="Secret"):
            _run(_get(sleeps))

    assert gettoken.call_count == 1
    assert gettoken.calls[0].request.url.params["corpsecret"] == "app-secret-value"


def test_a_refused_message_is_a_record_error_not_a_failed_connector(sleeps: Sleeps) -> None:
    async def send() -> dict[str, Any]:
        client, http = _client(sleeps)
        try:
            return await client.post("message/send", {"touser": "nobody"}, scope="app")
        finally:
            await http.aclose()

    with respx.mock() as router:
        _tokens(router, "token-1")
        router.post(BASE + "message/send").mock(return_value=httpx.Response(200, json=body(81013)))

        with pytest.raises(VendorRecordError, match="81013"):
            _run(send())
