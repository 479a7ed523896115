"""What DingTalk's answers mean, as data: one error table per API generation.

Old API (oapi.dingtalk.com): errors inside HTTP 200 bodies::

    {"errcode": 0, ...}                                        success
    {"errcode": 88, "sub_code": "40014", "sub_msg": ...}       topapi: errcode 88 means "read sub_code"
    {"errcode": 40014 | 42001, "errmsg": ...}                  other calls: the code itself

New API (api.dingtalk.com, v1.0): HTTP 4xx with ``{"code": "...", "message": "...", "requestid": "..."}``.

What the hub does with each (``hub.errors`` names the exception)::

    old 40014 / 42001 (also as errcode 88 sub_code)  REFRESH_TOKEN: get a new access_token, replay once
    new InvalidAuthentication (HTTP 400 or 401)      REFRESH_TOKEN: get a new accessToken, replay once
    old 90018 (per app and API) / 90002 (per API)    RATE_LIMITED: wait about 1 s, retry
    new Forbidden.AccessDenied.QpsLimitForAppkeyAndApi / QpsLimitForApi (HTTP 403), HTTP 429
                                                     RATE_LIMITED: wait about 1 s, retry
    old 90020, new Forbidden.AccessDenied.ApiCountLimitForOrg
                                                     FAIL (VendorError): the monthly call quota is used up;
                                                     not retried
    old 40096, new invalidClientIdOrSecret           FAIL: app_key / app_secret are wrong
    new Forbidden.AccessDenied.AccessTokenPermissionDenied
                                                     FAIL: the app lacks a permission (权限管理)
    robot 310000 sign not match                      FAIL: robot_secret is not the robot's 加签 secret
    robot 310000 invalid timestamp                   FAIL: this server's clock is off by over an hour (NTP)
    robot 310000 keywords not in content             SKIP_RECORD: this message lacks the robot's keyword
    robot 310000 (anything else, e.g. IP not allowed) FAIL
    robot 660026                                     RATE_LIMITED, 600 s: over 20 messages a minute, the robot
                                                     is throttled for 10 minutes (the job is rescheduled)
    robot 300005                                     FAIL: robot_access_token does not exist
    new HTTP 404 with a code                         SKIP_RECORD: no such record (a fetch leaves it out)
    new 200 with "success": false                    FAIL
    HTTP 500/502/503/504, timeouts                   RETRY with backoff
"""

from __future__ import annotations

from typing import Any

from hub.sdk import Action, ErrorRule, ErrorTable

ERRCODE_READ_SUB_CODE = 88
QPS_LIMIT_CODES = ("Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "Forbidden.AccessDenied.QpsLimitForApi")
QUOTA_CODE = "Forbidden.AccessDenied.ApiCountLimitForOrg"
ROBOT_TOKEN_MISSING = 300005
ROBOT_REFUSED = 310000
ROBOT_THROTTLED = 660026
ROBOT_THROTTLE_SECONDS = 600.0


def old_code(body: Any) -> Any:
    """``errcode``, or ``sub_code`` when errcode is 88 (topapi's "see sub_code")."""
    if not isinstance(body, dict) or "errcode" not in body:
        return None
    code = body["errcode"]
    if str(code) == str(ERRCODE_READ_SUB_CODE) and body.get("sub_code") not in (None, ""):
        return body["sub_code"]
    return code


def _old_message(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    return str(body.get("sub_msg") or body.get("errmsg") or "") or None


def _robot_says(*words: str) -> Any:
    def match(body: Any) -> bool:
        message = str(body.get("errmsg", "")).lower() if isinstance(body, dict) else ""
        return any(word in message for word in words)

    return match


OLD_ERRORS = ErrorTable(
    "dingtalk",
    code_of=old_code,
    message_of=_old_message,
    ok_codes={0},
    rules=[
        ErrorRule(Action.REFRESH_TOKEN, codes={40014, 42001}, note="the access_token is invalid or expired"),
        ErrorRule(Action.RATE_LIMITED, codes={90018}, wait=1.0,
                  note="over the per-app limit of this API (about 20 calls a second)"),
        ErrorRule(Action.RATE_LIMITED, codes={90002}, wait=1.0, note="over the global limit of this API"),
        ErrorRule(Action.FAIL, codes={90020},
                  note="the organisation's monthly API call quota is used up; calls fail until it renews or is "
                       "raised (not retried)"),
        ErrorRule(Action.FAIL, codes={40096},
                  note="DingTalk refused app_key/app_secret: copy AppKey and AppSecret from the app's credentials "
                       "page (凭证与基础信息)"),
        ErrorRule(Action.FAIL, codes={ROBOT_REFUSED}, match=_robot_says("sign not match"),
                  note="the robot refused the signature: robot_secret must be the robot's 加签 secret (SEC...)"),
        ErrorRule(Action.FAIL, codes={ROBOT_REFUSED}, match=_robot_says("invalid timestamp", "timestamp"),
                  note="the robot refused the timestamp: this server's clock is more than an hour off (fix NTP)"),
        ErrorRule(Action.SKIP_RECORD, codes={ROBOT_REFUSED}, match=_robot_says("keywords"),
                  note="the message lacks the robot's custom keyword (自定义关键词): add it to the text"),
        ErrorRule(Action.FAIL, codes={ROBOT_REFUSED}, note="the robot refused the message (security settings)"),
        ErrorRule(Action.RATE_LIMITED, codes={ROBOT_THROTTLED}, wait=ROBOT_THROTTLE_SECONDS,
                  note="the robot sent over 20 messages in a minute; DingTalk throttles it for 10 minutes"),
        ErrorRule(Action.FAIL, codes={ROBOT_TOKEN_MISSING},
                  note="robot_access_token does not exist: copy access_token from the robot's webhook URL"),
    ],
)


def _new_code(body: Any) -> Any:
    return body.get("code") if isinstance(body, dict) else None


def _new_message(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    return str(body.get("message") or body.get("errorMessage") or "") or None


def _unsuccessful(body: Any) -> bool:
    return isinstance(body, dict) and body.get("success") in (False, "false")


NEW_ERRORS = ErrorTable(
    "dingtalk",
    code_of=_new_code,
    message_of=_new_message,
    rules=[
        ErrorRule(Action.REFRESH_TOKEN, codes={"InvalidAuthentication"},
                  note="the accessToken is invalid or expired"),
        ErrorRule(Action.FAIL, codes={"invalidClientIdOrSecret"},
                  note="DingTalk refused app_key/app_secret: copy Client ID (AppKey) and Client Secret (AppSecret) "
                       "from the app's credentials page (凭证与基础信息)"),
        ErrorRule(Action.RATE_LIMITED, codes=QPS_LIMIT_CODES, wait=1.0, note="over the call rate of this API"),
        ErrorRule(Action.FAIL, codes={QUOTA_CODE},
                  note="the organisation's monthly API call quota is used up; calls fail until it renews or is "
                       "raised (not retried)"),
        ErrorRule(Action.FAIL, codes={"Forbidden.AccessDenied.AccessTokenPermissionDenied"},
                  note="the app lacks the permission this call needs: grant it in the developer console (权限管理)"),
        ErrorRule(Action.RATE_LIMITED, statuses={429}, wait=1.0, note="too many requests"),
        ErrorRule(Action.SKIP_RECORD, statuses={404}, match=lambda body: _new_code(body) is not None,
                  note="no such record"),  # a bare 404 (no DingTalk code) is a wrong base_url: FAIL
        ErrorRule(Action.FAIL, statuses={200}, match=_unsuccessful, note="DingTalk answered success: false"),
    ],
)
