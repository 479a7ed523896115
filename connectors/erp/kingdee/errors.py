"""What K3 Cloud's answers mean, as data: the connector's error table.

Where Kingdee puts errors::

    HTTP 519 {"errcode": 4002|4006|5001, "description": ...}      the API gateway (signed requests)
    HTTP 200 {"LoginResultType": 0, "Message": ...}                 a refused login
    HTTP 200 {"Result": {"ResponseStatus": {"IsSuccess": false,     a refused write (Save, Submit, Audit, View);
              "MsgCode": .., "Errors": [...]}}}                     MsgCode 1: the session expired
    HTTP 200 [[{"Result": {"ResponseStatus": {...}}}]]              a refused ExecuteBillQuery
    HTTP 200 [[...], [...]]                                         query rows: success

What the hub does with each (``hub.errors`` names the exception)::

    519 4002  signature refused            FAIL (VendorError): check app_id/app_secret/client secret
    519 4006  timestamp expired            FAIL: this server's clock is off (clock skew); fix NTP
    519 5001  gateway internal error       RETRY with backoff
    MsgCode 1 session expired              REFRESH_TOKEN: log in again, replay once
    LoginResultType != 1                   FAIL: wrong acct_id, username, password or app secret
    write IsSuccess false                  SKIP_RECORD (VendorRecordError): this push is refused, with why
    query error payload                    FAIL: a field key or filter the data centre does not know
    429                                    RATE_LIMITED: wait Retry-After (or 1 s), retry
    500/502/503/504, timeouts              RETRY with backoff
    200 that is not JSON                   FAIL: base_url does not point at the K3 Cloud site
"""

from __future__ import annotations

from typing import Any

from hub.sdk import Action, ErrorRule, ErrorTable


def response_status(body: Any) -> dict[str, Any] | None:
    """The ``ResponseStatus`` of a write result or of a query's error payload, if the body has one."""
    if isinstance(body, list):
        first = body[0] if body else None
        cell = first[0] if isinstance(first, list) and first else None
        if not (isinstance(cell, dict) and "Result" in cell):
            return None  # ordinary query rows
        body = cell
    if not isinstance(body, dict):
        return None
    result = body.get("Result")
    status = result.get("ResponseStatus") if isinstance(result, dict) else body.get("ResponseStatus")
    return status if isinstance(status, dict) else None


def is_success(status: dict[str, Any]) -> bool:
    """``IsSuccess`` is a boolean, or the text "true"/"false" on some versions."""
    value = status.get("IsSuccess")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def error_messages(status: dict[str, Any]) -> str:
    parts = []
    for error in status.get("Errors") or []:
        if isinstance(error, dict):
            field, message = error.get("FieldName"), error.get("Message")
            parts.append(f"{field}: {message}" if field else str(message))
    return "; ".join(parts)


def session_expired(body: Any) -> bool:
    status = response_status(body)
    code = status.get("MsgCode") if status is not None else body.get("MsgCode") if isinstance(body, dict) else None
    return str(code) == "1"


def login_refused(body: Any) -> bool:
    return isinstance(body, dict) and "LoginResultType" in body and str(body["LoginResultType"]) != "1"


def write_refused(body: Any) -> bool:
    status = response_status(body) if isinstance(body, dict) else None
    return status is not None and not is_success(status)


def query_refused(body: Any) -> bool:
    status = response_status(body) if isinstance(body, list) else None
    return status is not None and not is_success(status)


def _code_of(body: Any) -> Any:
    if isinstance(body, dict) and "errcode" in body:
        return body["errcode"]
    status = response_status(body)
    return status.get("ErrorCode") if status is not None else None


def _message_of(body: Any) -> str | None:
    if isinstance(body, dict) and "description" in body:
        return str(body["description"])
    if login_refused(body):
        return f"login refused (LoginResultType {body['LoginResultType']}): {body.get('Message') or ''}".strip()
    status = response_status(body)
    return error_messages(status) if status is not None else None


KINGDEE_ERRORS = ErrorTable(
    "kingdee",
    code_of=_code_of,
    message_of=_message_of,
    rules=[
        ErrorRule(Action.FAIL, statuses={519}, codes={4002},
                  note="the API gateway refused the signature: check app_id, app_secret (client_id, client_secret) "
                       "and acct_id, username, lcid, org_num"),
        ErrorRule(Action.FAIL, statuses={519}, codes={4006},
                  note="the API gateway says the request timestamp expired: this server's clock differs from "
                       "Kingdee's (clock skew); synchronise it with NTP"),
        ErrorRule(Action.RETRY, statuses={519}, codes={5001}, note="the API gateway had an internal error"),
        ErrorRule(Action.REFRESH_TOKEN, match=session_expired,
                  note="the session expired (MsgCode 1); logging in again"),
        ErrorRule(Action.FAIL, match=login_refused),
        ErrorRule(Action.SKIP_RECORD, match=write_refused),
        ErrorRule(Action.FAIL, match=query_refused),
        ErrorRule(Action.RATE_LIMITED, statuses={429}, wait=1.0, note="too many requests"),
        ErrorRule(Action.FAIL, statuses={200}, match=lambda body: isinstance(body, str),
                  note="the answer is not JSON: does base_url point at the K3 Cloud site (…/k3cloud/)?"),
    ],
)
