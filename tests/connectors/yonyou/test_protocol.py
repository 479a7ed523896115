"""The wire protocol against a fake vendor (respx): discovery, the signed token, the error table, batch saves."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from connectors.erp.yonyou import YonyouConnector, YonyouSettings
from connectors.erp.yonyou.errors import APP_KEY_REFUSED, UNKNOWN_PATH
from hub.errors import AuthExpiredError, RateLimitedError, RetryableError
from hub.sdk import ConnectorContext, PushResult, VendorError, VendorRecordError
from tests.connectors.yonyou.conftest import Sleeps

OPEN_GATEWAY = "https://apigateway.yonyoucloud.com"
DATA_CENTRE = "https://c9.yonyoucloud.com"
GATEWAY_URL = f"{DATA_CENTRE}/iuap-api-gateway"
TOKEN_URL = f"{DATA_CENTRE}/iuap-api-auth"
LIST_URL = f"{GATEWAY_URL}/yonbip/digitalModel/merchant/newlist"
SAVE_URL = f"{GATEWAY_URL}/yonbip/digitalModel/merchant/batchSave"
# The known-answer vector of test_signing.py, at the clock below.
APP_KEY, APP_SECRET = "a3f1c9d2e8b7", "Zx9-secret-7Qm"
SIGNATURE_IN_URL = "5%2BUvuRNid3hehNqvvU2v%2BvnZwbvpy%2Fbh7qjGK4EUAfc%3D"
NOW = datetime.fromtimestamp(1_700_000_000.001, UTC)
EMPTY_PAGE = {"code": "200", "message": "操作成功",
              "data": {"pageIndex": 1, "pageSize": 1, "recordCount": 0, "pageCount": 0, "recordList": []}}


class Vendor:
    """Discovery and token routes; each token fetch issues token-1, token-2, ..."""

    def __init__(self, router: respx.Router) -> None:
        self.discovery = router.get(f"{OPEN_GATEWAY}/open-auth/dataCenter/getGatewayAddress").respond(
            json={"code": "00000", "data": {"gatewayUrl": GATEWAY_URL, "tokenUrl": TOKEN_URL}})
        self.issued = 0
        self.token = router.get(f"{TOKEN_URL}/open-auth/selfAppAuth/base/v1/getAccessToken")
        self.token.side_effect = self._issue

    def _issue(self, request: httpx.Request) -> httpx.Response:
        self.issued += 1
        return httpx.Response(200, json={"code": "00000", "data": {"access_token": f"token-{self.issued}",
                                                                    "expire": 7200}})


@pytest.fixture
def vendor() -> Iterator[tuple[respx.Router, Vendor]]:
    with respx.mock(assert_all_called=False) as router:
        yield router, Vendor(router)


def _connector(sleeps: Sleeps | None = None) -> YonyouConnector:
    settings = YonyouSettings(base_url=OPEN_GATEWAY, tenant_id="t0001", app_key=APP_KEY, app_secret=APP_SECRET)
    context = ConnectorContext(name="yonyou-main", system="yonyou", clock=lambda: NOW)
    return YonyouConnector(settings, context, sleep=sleeps or Sleeps())


def _list(connector: YonyouConnector) -> Any:
    async def call() -> Any:
        try:
            return await connector.api.post("/yonbip/digitalModel/merchant/newlist", {"pageIndex": 1},
                                            what="merchant/newlist")
        finally:
            await connector.aclose()

    return asyncio.run(call())


# -- discovery and token -------------------------------------------------------------------


def test_discovery_finds_the_data_centre_and_the_token_is_signed_exactly_as_the_sheet_says(vendor) -> None:
    router, fake = vendor
    route = router.post(LIST_URL).respond(json=EMPTY_PAGE)

    _list(_connector())

    assert fake.discovery.calls.last.request.url.params["tenantId"] == "t0001"
    token_query = fake.token.calls.last.request.url.query.decode()
    assert token_query == f"appKey={APP_KEY}&timestamp=1700000000001&signature={SIGNATURE_IN_URL}"
    assert route.calls.last.request.url.params["access_token"] == "token-1"


def test_discovery_and_the_token_are_fetched_once_for_many_calls(vendor) -> None:
    router, fake = vendor
    router.post(LIST_URL).respond(json=EMPTY_PAGE)
    connector = _connector()

    async def three_calls() -> None:
        for _ in range(3):
            await connector.api.post("/yonbip/digitalModel/merchant/newlist", {}, what="merchant/newlist")
        await connector.aclose()

    asyncio.run(three_calls())

    assert (fake.discovery.call_count, fake.token.call_count) == (1, 1)


def test_an_unknown_tenant_fails_with_a_hint(vendor) -> None:
    _, fake = vendor
    fake.discovery.respond(json={"code": "00000", "data": None})

    with pytest.raises(VendorError, match="tenant_id"):
        _list(_connector())


def test_a_refused_app_key_at_the_token_call_tells_the_admin_what_to_check(vendor) -> None:
    _, fake = vendor
    fake.token.side_effect = None
    fake.token.respond(json={"code": "10018", "message": "appKey不存在"})

    with pytest.raises(VendorError, match="app_key") as caught:
        _list(_connector())
    assert "10018" in caught.value.message


def test_check_reports_a_refused_app_key_as_unhealthy(vendor) -> None:
    _, fake = vendor
    fake.token.side_effect = None
    fake.token.respond(json={"code": "10018", "message": "appKey不存在"})
    connector = _connector()

    health = asyncio.run(connector.check())

    assert not health.ok
    assert "10018" in health.message


# -- the error table -----------------------------------------------------------------------

OK = httpx.Response(200, json=EMPTY_PAGE)


def _body(code: str, message: str = "") -> httpx.Response:
    return httpx.Response(200, json={"code": code, "message": message})


ERROR_ROWS = [
    pytest.param(_body("310001", "access_token 不能为空"), "refresh", id="310001-no-token-refresh-and-replay"),
    pytest.param(_body("310036", "非法token"), "refresh", id="310036-invalid-token-refresh-and-replay"),
    pytest.param(httpx.Response(200, text="非法token"), "refresh", id="plain-text-非法token-refresh-and-replay"),
    pytest.param(httpx.Response(401, text="非法token"), "refresh", id="plain-text-非法token-in-401-refresh"),
    pytest.param(_body("10018", "appKey已停用"), f"fail:{APP_KEY_REFUSED[:40]}", id="10018-app-key-fail"),
    pytest.param(_body("310032"), "rate_limited", id="310032-rate-limited"),
    pytest.param(_body("310039"), "rate_limited", id="310039-rate-limited"),
    pytest.param(_body("310042"), "rate_limited", id="310042-rate-limited"),
    pytest.param(_body("310046"), "rate_limited", id="310046-rate-limited"),
    pytest.param(httpx.Response(429), "rate_limited", id="http-429-rate-limited"),
    pytest.param(httpx.Response(404, json={"code": "310404", "message": "api not found"}),
                 f"fail:{UNKNOWN_PATH[:30]}", id="http-404-310404-unknown-path-fail"),
    pytest.param(_body("310404"), f"fail:{UNKNOWN_PATH[:30]}", id="310404-in-200-unknown-path-fail"),
    pytest.param(httpx.Response(500, json={"code": "500", "message": "内部错误"}), "retry", id="http-500-retry"),
    pytest.param(httpx.Response(502, text="Bad Gateway"), "retry", id="http-502-retry"),
    pytest.param(httpx.Response(503), "retry", id="http-503-retry"),
    pytest.param(httpx.ReadTimeout("slow"), "retry", id="timeout-retry"),
    pytest.param(httpx.ConnectError("refused"), "retry", id="connection-error-retry"),
    pytest.param(_body("999", "查询条件错误"), "fail:999", id="other-code-fail"),
]


@pytest.mark.parametrize(("first", "outcome"), ERROR_ROWS)
def test_error_table(vendor, first: httpx.Response | Exception, outcome: str) -> None:
    router, fake = vendor
    route = router.post(LIST_URL)
    route.side_effect = [first, OK]
    sleeps = Sleeps()
    connector = _connector(sleeps)

    if outcome.startswith("fail:"):
        with pytest.raises(VendorError, match=outcome.removeprefix("fail:")[:30].replace("(", r"\(")):
            _list(connector)
        assert route.call_count == 1
        return

    assert _list(connector)["recordCount"] == 0
    assert route.call_count == 2
    if outcome == "refresh":
        assert fake.token.call_count == 2
        assert route.calls[1].request.url.params["access_token"] == "token-2"
        assert sleeps.waits == []
    elif outcome == "rate_limited":
        assert sleeps.waits == [1.0]
        assert fake.token.call_count == 1
    else:
        assert len(sleeps.waits) == 1
        assert fake.token.call_count == 1


def test_a_token_rejected_again_after_a_refresh_fails_as_auth_expired(vendor) -> None:
    router, _ = vendor
    router.post(LIST_URL).respond(json={"code": "310036", "message": "非法token"})

    with pytest.raises(AuthExpiredError, match="310036"):
        _list(_connector())


def test_rate_limits_that_never_end_give_up_as_rate_limited(vendor) -> None:
    router, _ = vendor
    router.post(LIST_URL).respond(json={"code": "310046", "message": "调用过于频繁"})
    sleeps = Sleeps()

    with pytest.raises(RateLimitedError):
        _list(_connector(sleeps))
    assert sleeps.waits == [1.0] * 4  # five tries in all


def test_server_errors_that_never_end_give_up_as_retryable(vendor) -> None:
    router, _ = vendor
    router.post(LIST_URL).respond(500)

    with pytest.raises(RetryableError):
        _list(_connector())


# -- batch save: partial failure -----------------------------------------------------------


def test_a_partial_batch_failure_becomes_one_record_error_per_refused_item(vendor) -> None:
    router, _ = vendor
    router.post(LIST_URL).respond(json=EMPTY_PAGE)  # neither code exists yet
    router.post(SAVE_URL).respond(json={"code": "200", "message": "部分失败", "data": {
        "count": 2, "sucessCount": 1, "failCount": 1,
        "messages": ["客户编码[HUB-B]：统一社会信用代码[123]格式不正确"],
        "infos": [{"id": "1650000000001024", "code": "HUB-A"}],
    }})
    connector = _connector()

    async def push() -> list[Any]:
        try:
            return await connector.push_many("merchant", [({"code": "HUB-A", "name": {"zh_CN": "甲"}}, "k-a"),
                                                          ({"code": "HUB-B", "name": {"zh_CN": "乙"}}, "k-b")])
        finally:
            await connector.aclose()

    first, second = asyncio.run(push())

    assert first == PushResult("1650000000001024", created=True, raw={"id": "1650000000001024", "code": "HUB-A"})
    assert isinstance(second, VendorRecordError)
    assert "HUB-B" in second.message
    assert "统一社会信用代码" in second.message
    assert second.details["fail_count"] == 1


def test_code_200_with_fail_count_is_not_success_even_for_a_single_push(vendor) -> None:
    router, _ = vendor
    router.post(LIST_URL).respond(json=EMPTY_PAGE)
    router.post(SAVE_URL).respond(json={"code": "200", "data": {
        "count": 1, "sucessCount": 0, "failCount": 1, "messages": ["客户名称不能为空"], "infos": []}})
    connector = _connector()

    async def push() -> Any:
        try:
            return await connector.push("merchant", {"code": "HUB-C"}, idempotency_key="k-c")
        finally:
            await connector.aclose()

    with pytest.raises(VendorRecordError, match=r"HUB-C refused: 客户名称不能为空"):
        asyncio.run(push())
