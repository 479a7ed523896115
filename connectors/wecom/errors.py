"""What WeCom's answers mean, as data: the connector's error table.

Every WeCom answer is HTTP 200 with ``{"errcode": .., "errmsg": ..}``; ``errcode 0`` is success.
What the hub does with the others (``hub.errors`` names the exception)::

    errcode  meaning                                   action
    -1       system busy                               RETRY (backoff; at most 3 retries)
    40001    invalid credential                        REFRESH_TOKEN: new token, replay once
    40014    invalid access_token                      REFRESH_TOKEN
    42001    access_token expired                      REFRESH_TOKEN
    45009    call frequency over the limit             RATE_LIMITED: wait 60 s, same token
    45033    too many concurrent calls                 RATE_LIMITED: wait 1 s
    60020    caller IP not on the app's allow-list     FAIL (VendorError): add this server's IP to 企业可信IP
    48002    the app may not call this API             FAIL: grant the API (客户联系 / 审批) to the app
    60011    no permission for these users             FAIL: widen the app's visible range (可见范围)
    40013    invalid corpid                            FAIL: check corp_id
    41001    access_token missing                      FAIL (a bug: the hub always sends one)
    81013    every recipient invalid                   SKIP_RECORD (VendorRecordError): this message is refused
    40003    invalid userid                            SKIP_RECORD
    40058    invalid parameter                         SKIP_RECORD: this push / record is refused, with why
    40096    invalid external_userid                   SKIP_RECORD (a fetch leaves the contact out)
    84061    no such external contact relation         SKIP_RECORD (a fetch leaves the contact out)
    44004    text content empty                        SKIP_RECORD
    45002    content over the size limit               SKIP_RECORD
    other    any other errcode                         FAIL, with WeCom's errmsg
    HTTP 5xx, timeouts                                 RETRY

``gettoken`` has its own table: there 40001 means the secret is wrong (refreshing cannot help)
and 40013 the corp id.
"""

from __future__ import annotations

from typing import Any

from hub.sdk import Action, ErrorRule, ErrorTable, RetryPolicy

REFRESH_CODES = frozenset({40001, 40014, 42001})
BUSY_RETRIES = 3  # the sheet: retry "system busy" at most 3 times
RETRY = RetryPolicy(attempts=BUSY_RETRIES + 1)
IP_NOTE = ("this server's IP address is not on the app's trusted IP list: in the WeCom admin console open "
           "应用管理 → the app → 企业可信IP (Trusted IPs) and add the hub's outbound IP, then sync again")


def _code(body: Any) -> Any:
    return body.get("errcode") if isinstance(body, dict) else None


def _message(body: Any) -> Any:
    return body.get("errmsg") if isinstance(body, dict) else None


def _not_json(body: Any) -> bool:
    return not isinstance(body, dict)


_SHARED = [
    ErrorRule(Action.RETRY, codes={-1}, note="WeCom says the system is busy (-1)"),
    ErrorRule(Action.RATE_LIMITED, codes={45009}, wait=60.0,
              note="call frequency over WeCom's limit (45009: about 2000 calls/minute per API); backing off"),
    ErrorRule(Action.RATE_LIMITED, codes={45033}, wait=1.0, note="too many concurrent calls (45033)"),
    ErrorRule(Action.FAIL, codes={60020}, note=IP_NOTE),
    ErrorRule(Action.FAIL, codes={48002},
              note="the app may not call this API (48002): in the admin console grant it to the app "
                   "(客户联系 → API → 可调用接口的应用, or 审批 → API), or set contact_secret / approval_secret"),
    ErrorRule(Action.FAIL, codes={60011},
              note="the app has no permission for these members (60011): widen its visible range (可见范围)"),
    ErrorRule(Action.FAIL, codes={40013}, note="invalid corp_id (40013): copy 企业ID from 我的企业 → 企业信息"),
    ErrorRule(Action.FAIL, codes={41001}, note="no access_token was sent (41001)"),
]

WECOM_ERRORS = ErrorTable(
    "wecom",
    code_of=_code,
    message_of=_message,
    ok_codes={0},
    rules=[
        ErrorRule(Action.REFRESH_TOKEN, codes=REFRESH_CODES, note="the access token is invalid or expired"),
        *_SHARED,
        ErrorRule(Action.SKIP_RECORD, codes={81013},
                  note="every recipient is invalid or outside the app's visible range (81013)"),
        ErrorRule(Action.SKIP_RECORD, codes={40003, 40058, 40096, 84061, 44004, 45002}),
        ErrorRule(Action.FAIL, statuses={200}, match=_not_json,
                  note="the answer is not JSON: does base_url point at WeCom's API (…/cgi-bin/)?"),
    ],
)

GETTOKEN_ERRORS = ErrorTable(
    "wecom",
    code_of=_code,
    message_of=_message,
    ok_codes={0},
    rules=[
        ErrorRule(Action.FAIL, codes={40001, 40091},
                  note="gettoken refused the secret (40001): copy the app's Secret again (应用管理 → the app)"),
        *_SHARED,
        ErrorRule(Action.FAIL, statuses={200}, match=_not_json,
                  note="the answer is not JSON: does base_url point at WeCom's API (…/cgi-bin/)?"),
    ],
)
