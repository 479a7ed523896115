"""The error table: every kind of K3 Cloud answer, and what the hub does with it."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.erp.kingdee.errors import KINGDEE_ERRORS, response_status
from hub.errors import AuthExpiredError, RateLimitedError, RetryableError
from hub.sdk import Action, VendorError, VendorRecordError


def status(ok: Any, *, msg_code: int = 0, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"Result": {"ResponseStatus": {"IsSuccess": ok, "MsgCode": msg_code, "Errors": errors or [],
                                          "SuccessEntitys": []}}}


BAD_FIELD = [{"FieldName": "FMaterialId", "Message": "物料“M404”不存在", "DIndex": 0}]

ROWS = [
    pytest.param(200, [["C001", "华东机械", "2024-05-01T10:20:30.123"]], Action.OK, id="query-rows"),
    pytest.param(200, [], Action.OK, id="query-no-rows"),
    pytest.param(200, status(True), Action.OK, id="write-succeeded"),
    pytest.param(200, status("true"), Action.OK, id="write-succeeded-as-text"),
    pytest.param(200, {"LoginResultType": 1, "KDSVCSessionId": "s"}, Action.OK, id="login-ok"),
    pytest.param(200, {"LoginResultType": 0, "Message": "用户名或密码错误！"}, Action.FAIL, id="login-refused"),
    pytest.param(200, status(False, errors=BAD_FIELD), Action.SKIP_RECORD, id="write-refused"),
    pytest.param(200, status("false", errors=BAD_FIELD), Action.SKIP_RECORD, id="write-refused-as-text"),
    pytest.param(200, status(False, msg_code=1), Action.REFRESH_TOKEN, id="write-session-expired"),
    pytest.param(200, [[status(False, msg_code=1)]], Action.REFRESH_TOKEN, id="query-session-expired"),
    pytest.param(200, [[status(False, errors=[{"Message": "字段不存在"}])]], Action.FAIL, id="query-error-payload"),
    pytest.param(519, {"errcode": 4002, "description": "签名验证失败"}, Action.FAIL, id="gateway-4002-signature"),
    pytest.param(519, {"errcode": 4006, "description": "时间戳已过期"}, Action.FAIL, id="gateway-4006-clock-skew"),
    pytest.param(519, {"errcode": 5001, "description": "网关内部错误"}, Action.RETRY, id="gateway-5001"),
    pytest.param(429, {"errcode": 429}, Action.RATE_LIMITED, id="rate-limited"),
    pytest.param(500, "<html>500</html>", Action.RETRY, id="http-500"),
    pytest.param(502, None, Action.RETRY, id="http-502"),
    pytest.param(503, None, Action.RETRY, id="http-503"),
    pytest.param(504, None, Action.RETRY, id="http-504"),
    pytest.param(200, "<html>login page</html>", Action.FAIL, id="not-json"),
    pytest.param(404, None, Action.FAIL, id="http-404"),
]


@pytest.mark.parametrize(("http_status", "body", "action"), ROWS)
def test_each_answer_has_one_action(http_status: int, body: Any, action: Action) -> None:
    assert KINGDEE_ERRORS.classify(http_status, body).action is action


@pytest.mark.parametrize(
    ("http_status", "body", "exception", "says"),
    [
        pytest.param(519, {"errcode": 4006}, VendorError, "clock skew", id="4006-names-clock-skew"),
        pytest.param(519, {"errcode": 4002}, VendorError, "app_secret", id="4002-names-the-settings"),
        pytest.param(200, status(False, errors=BAD_FIELD), VendorRecordError, "FMaterialId: 物料“M404”不存在",
                     id="write-refusal-says-which-field"),
        pytest.param(200, {"LoginResultType": 0, "Message": "用户名或密码错误！"}, VendorError, "用户名或密码错误",
                     id="login-refusal-quotes-kingdee"),
        pytest.param(200, status(False, msg_code=1), AuthExpiredError, "session expired", id="session-expired"),
        pytest.param(429, {}, RateLimitedError, "too many requests", id="rate-limit"),
        pytest.param(519, {"errcode": 5001}, RetryableError, "internal error", id="gateway-retry"),
    ],
)
def test_the_exception_tells_the_admin_what_happened(
    http_status: int, body: Any, exception: type[Exception], says: str
) -> None:
    verdict = KINGDEE_ERRORS.classify(http_status, body)
    error = KINGDEE_ERRORS.exception(verdict, what="Save")

    assert isinstance(error, exception)
    assert says in str(error)


def test_query_rows_are_never_mistaken_for_an_error_payload() -> None:
    assert response_status([["C001", {"Result": 1}]]) is None
    assert response_status([[{"Result": {"ResponseStatus": {"IsSuccess": False}}}]]) == {"IsSuccess": False}
