"""Both error tables: every DingTalk answer the connector knows, and what the hub does with it."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.dingtalk.errors import NEW_ERRORS, OLD_ERRORS, old_code
from hub.errors import AuthExpiredError, RateLimitedError, RetryableError
from hub.sdk import Action, VendorError, VendorRecordError

OLD_CASES = [
    # id, HTTP status, body, action, wait
    ("ok", 200, {"errcode": 0, "errmsg": "ok", "task_id": 1}, Action.OK, None),
    ("topapi-88-token", 200, {"errcode": 88, "sub_code": "40014", "sub_msg": "不合法的access_token"},
     Action.REFRESH_TOKEN, None),
    ("topapi-88-expired", 200, {"errcode": 88, "sub_code": "42001", "sub_msg": "access_token超时"},
     Action.REFRESH_TOKEN, None),
    ("direct-40014", 200, {"errcode": 40014, "errmsg": "不合法的access_token"}, Action.REFRESH_TOKEN, None),
    ("90018-app-qps", 200, {"errcode": 90018, "errmsg": "访问频率超过限制"}, Action.RATE_LIMITED, 1.0),
    ("90002-api-qps", 200, {"errcode": 90002, "errmsg": "接口全局调用频率超过限制"}, Action.RATE_LIMITED, 1.0),
    ("88-sub-90018", 200, {"errcode": 88, "sub_code": "90018"}, Action.RATE_LIMITED, 1.0),
    ("90020-quota", 200, {"errcode": 90020, "errmsg": "企业当月调用量已超过限额"}, Action.FAIL, None),
    ("40096-credentials", 200, {"errcode": 40096, "errmsg": "不合法的appKey或appSecret"}, Action.FAIL, None),
    ("88-other-sub-code", 200, {"errcode": 88, "sub_code": "40035", "sub_msg": "不合法的参数"}, Action.FAIL, None),
    ("robot-sign", 200, {"errcode": 310000, "errmsg": "sign not match"}, Action.FAIL, None),
    ("robot-timestamp", 200, {"errcode": 310000, "errmsg": "invalid timestamp"}, Action.FAIL, None),
    ("robot-keywords", 200, {"errcode": 310000, "errmsg": "keywords not in content"}, Action.SKIP_RECORD, None),
    ("robot-ip", 200, {"errcode": 310000, "errmsg": "ip X.X.X.X not in whitelist"}, Action.FAIL, None),
    ("robot-throttled", 200, {"errcode": 660026, "errmsg": "send too fast, exceed 20 times per minute"},
     Action.RATE_LIMITED, 600.0),
    ("robot-token", 200, {"errcode": 300005, "errmsg": "token is not exist"}, Action.FAIL, None),
    ("http-429", 429, None, Action.RATE_LIMITED, 1.0),
    ("http-503", 503, None, Action.RETRY, None),
]

NEW_CASES = [
    ("ok", 200, {"success": True, "result": {"list": []}}, Action.OK, None),
    ("token-400", 400, {"code": "InvalidAuthentication", "message": "不合法的access_token"}, Action.REFRESH_TOKEN,
     None),
    ("token-401", 401, {"code": "InvalidAuthentication"}, Action.REFRESH_TOKEN, None),
    ("credentials", 400, {"code": "invalidClientIdOrSecret", "message": "无效的clientId或者clientSecret"},
     Action.FAIL, None),
    ("qps-app-api", 403, {"code": "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"}, Action.RATE_LIMITED, 1.0),
    ("qps-api", 403, {"code": "Forbidden.AccessDenied.QpsLimitForApi"}, Action.RATE_LIMITED, 1.0),
    ("quota", 403, {"code": "Forbidden.AccessDenied.ApiCountLimitForOrg"}, Action.FAIL, None),
    ("permission", 403, {"code": "Forbidden.AccessDenied.AccessTokenPermissionDenied"}, Action.FAIL, None),
    ("http-429", 429, {"code": "Throttling"}, Action.RATE_LIMITED, 1.0),
    ("not-found", 404, {"code": "instanceNotExist", "message": "审批实例不存在"}, Action.SKIP_RECORD, None),
    ("bare-404-wrong-url", 404, "Not Found", Action.FAIL, None),
    ("success-false", 200, {"success": False, "message": "处理失败"}, Action.FAIL, None),
    ("other-400", 400, {"code": "InvalidParameter.ProcessCode"}, Action.FAIL, None),
    ("http-500", 500, {"code": "ServiceUnavailable"}, Action.RETRY, None),
]


@pytest.mark.parametrize(("status", "body", "action", "wait"), [c[1:] for c in OLD_CASES],
                         ids=[c[0] for c in OLD_CASES])
def test_old_api_answers(status: int, body: Any, action: Action, wait: float | None) -> None:
    verdict = OLD_ERRORS.classify(status, body)

    assert (verdict.action, verdict.wait) == (action, wait)


@pytest.mark.parametrize(("status", "body", "action", "wait"), [c[1:] for c in NEW_CASES],
                         ids=[c[0] for c in NEW_CASES])
def test_new_api_answers(status: int, body: Any, action: Action, wait: float | None) -> None:
    verdict = NEW_ERRORS.classify(status, body)

    assert (verdict.action, verdict.wait) == (action, wait)


def test_errcode_88_is_read_through_its_sub_code() -> None:
    assert old_code({"errcode": 88, "sub_code": "40014"}) == "40014"
    assert old_code({"errcode": 88}) == 88  # no sub_code: the code itself
    assert old_code({"errcode": 40014}) == 40014


@pytest.mark.parametrize(("table", "status", "body", "exception"), [
    (OLD_ERRORS, 200, {"errcode": 88, "sub_code": "40014"}, AuthExpiredError),
    (OLD_ERRORS, 200, {"errcode": 90018}, RateLimitedError),
    (OLD_ERRORS, 200, {"errcode": 90020}, VendorError),
    (OLD_ERRORS, 200, {"errcode": 310000, "errmsg": "keywords not in content"}, VendorRecordError),
    (NEW_ERRORS, 403, {"code": "Forbidden.AccessDenied.QpsLimitForApi"}, RateLimitedError),
    (NEW_ERRORS, 503, None, RetryableError),
], ids=["token", "throttled", "quota", "keywords", "qps", "unavailable"])
def test_each_verdict_raises_the_hub_exception_for_its_action(
    table: Any, status: int, body: Any, exception: type[Exception]
) -> None:
    error = table.exception(table.classify(status, body), what="call")

    assert type(error) is exception


def test_credential_errors_tell_the_admin_where_to_look() -> None:
    for table, status, body in ((OLD_ERRORS, 200, {"errcode": 40096}),
                                (NEW_ERRORS, 400, {"code": "invalidClientIdOrSecret"})):
        error = table.exception(table.classify(status, body), what="get token")
        assert isinstance(error, VendorError)
        assert "app_key/app_secret" in error.message
        assert "凭证与基础信息" in error.message


def test_a_quota_error_says_it_is_not_retried() -> None:
    for table, status, body in ((OLD_ERRORS, 200, {"errcode": 90020}),
                                (NEW_ERRORS, 403, {"code": "Forbidden.AccessDenied.ApiCountLimitForOrg"})):
        error = table.exception(table.classify(status, body), what="list")
        assert isinstance(error, VendorError)
        assert "quota" in error.message
