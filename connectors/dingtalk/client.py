"""DingTalk on the wire: one method per API call, every call through the SDK's VendorClient.

Two hosts, two error tables, two token generations::

    self.new   api.dingtalk.com    v1.0 API     header x-acs-dingtalk-access-token   NEW_ERRORS
    self.old   oapi.dingtalk.com   old API      ?access_token=                       OLD_ERRORS

Reads retry transient errors. Creating calls (a message, a to-do, an approval) go through
the ``*_once`` clients: a lost answer may hide a created thing, so the caller decides
(look it up, or wait out a rate limit) instead of a blind retry.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from connectors.dingtalk.auth import TOKEN_LIFETIME, HeaderTokenAuth, QueryTokenAuth
from connectors.dingtalk.errors import NEW_ERRORS, OLD_ERRORS
from connectors.dingtalk.settings import DingTalkSettings
from hub.errors import RetryableError
from hub.sdk import Authenticator, RateLimiter, RetryPolicy, VendorClient, VendorError, VendorRecordError

Sleep = Callable[[float], Awaitable[None]]


def _encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


class DingTalkClient:
    def __init__(
        self,
        new_http: httpx.AsyncClient,
        old_http: httpx.AsyncClient,
        settings: DingTalkSettings,
        *,
        new_auth: HeaderTokenAuth | None = None,
        old_auth: QueryTokenAuth | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.settings = settings
        limiter = RateLimiter(settings.max_calls_per_second) if settings.max_calls_per_second else None

        def client(http: httpx.AsyncClient, table: Any, auth: Authenticator | None, once: bool) -> VendorClient:
            policy = RetryPolicy(attempts=1) if once else retry
            return VendorClient(http, table, retry=policy, limiter=limiter, auth=auth, sleep=sleep)

        self.new = client(new_http, NEW_ERRORS, new_auth, False)
        self.new_once = client(new_http, NEW_ERRORS, new_auth, True)
        self.old = client(old_http, OLD_ERRORS, old_auth, False)
        self.old_once = client(old_http, OLD_ERRORS, old_auth, True)

    @property
    def requests(self) -> int:
        return self.new.requests + self.new_once.requests + self.old.requests + self.old_once.requests

    # -- tokens ---------------------------------------------------------------------------------

    async def new_token(self) -> tuple[str, float]:
        s = self.settings
        body = await self.new.call(
            "POST", "/v1.0/oauth2/accessToken", what="get accessToken", authenticated=False,
            json={"appKey": s.app_key, "appSecret": s.app_secret.get_secret_value()},
        )
        token = body.get("accessToken") if isinstance(body, dict) else None
        if not token:
            raise VendorError("dingtalk get accessToken: the answer has no accessToken", details={"vendor": "dingtalk"})
        return str(token), float(body.get("expireIn") or TOKEN_LIFETIME)

    async def old_token(self) -> tuple[str, float]:
        s = self.settings
        body = await self.old.call(
            "GET", "/gettoken", what="gettoken", authenticated=False,
            params={"appkey": s.app_key, "appsecret": s.app_secret.get_secret_value()},
        )
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise VendorError("dingtalk gettoken: the answer has no access_token", details={"vendor": "dingtalk"})
        return str(token), float(body.get("expires_in") or TOKEN_LIFETIME)

    # -- approvals (v1.0) -----------------------------------------------------------------------

    async def list_instance_ids(
        self, process_code: str, start_ms: int, end_ms: int, next_token: str | int, max_results: int,
        *, user_ids: list[str] | None = None,
    ) -> tuple[list[str], str | None]:
        """One page of instance ids started in [start_ms, end_ms], and the next page's token (None: last)."""
        request: dict[str, Any] = {"processCode": process_code, "startTime": start_ms, "endTime": end_ms,
                                   "nextToken": next_token, "maxResults": max_results}
        if user_ids:
            request["userIds"] = user_ids
        body = await self.new.call("POST", "/v1.0/workflow/processes/instanceIds/query",
                                   what="list approval instance ids", content=_encode(request),
                                   headers=JSON_HEADERS)
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, dict):
            raise VendorError("dingtalk list approval instance ids: the answer has no result",
                              details={"vendor": "dingtalk", "process_code": process_code})
        ids = [str(i) for i in result.get("list") or []]
        following = result.get("nextToken")
        done = following in (None, "", 0, "0") or not ids
        return ids, None if done else str(following)

    async def get_instance(self, instance_id: str) -> dict[str, Any] | None:
        """The instance's ``result``, or None when DingTalk has no such instance."""
        try:
            body = await self.new.call("GET", "/v1.0/workflow/processInstances", what="get approval instance",
                                       params={"processInstanceId": instance_id})
        except VendorRecordError:
            return None
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, dict):
            raise VendorError(f"dingtalk get approval instance {instance_id}: the answer has no result",
                              details={"vendor": "dingtalk"})
        return result

    async def create_instance(self, request: dict[str, Any]) -> str:
        body = await self.new_once.call("POST", "/v1.0/workflow/processInstances", what="start approval",
                                        content=_encode(request), headers=JSON_HEADERS)
        instance_id = body.get("instanceId") if isinstance(body, dict) else None
        if not instance_id:
            raise RetryableError("dingtalk start approval: the answer has no instanceId",
                                 details={"vendor": "dingtalk"})
        return str(instance_id)

    # -- to-dos (v1.0) --------------------------------------------------------------------------

    def _todo_params(self) -> dict[str, Any]:
        operator = self.settings.todo_operator_union_id
        return {"operatorId": operator} if operator else {}

    async def find_todo(self, union_id: str, source_id: str) -> dict[str, Any] | None:
        """The to-do created with ``sourceId``, or None."""
        try:
            body = await self.new.call("GET", f"/v1.0/todo/users/{union_id}/tasks/sources/{source_id}",
                                       what="find to-do by sourceId")
        except VendorRecordError:
            return None
        return body if isinstance(body, dict) and body.get("id") else None

    async def create_todo(self, union_id: str, request: dict[str, Any]) -> dict[str, Any]:
        body = await self.new_once.call("POST", f"/v1.0/todo/users/{union_id}/tasks", what="create to-do",
                                        params=self._todo_params() or None, content=_encode(request),
                                        headers=JSON_HEADERS)
        if not isinstance(body, dict) or not body.get("id"):
            raise RetryableError("dingtalk create to-do: the answer has no id", details={"vendor": "dingtalk"})
        return body

    # -- messages (old API) ---------------------------------------------------------------------

    async def send_work_notification(self, request: dict[str, Any]) -> dict[str, Any]:
        body = await self.old_once.call("POST", "/topapi/message/corpconversation/asyncsend_v2",
                                        what="send work notification", content=_encode(request),
                                        headers=JSON_HEADERS)
        return body if isinstance(body, dict) else {}

    async def send_robot(self, query: dict[str, str], message: dict[str, Any]) -> dict[str, Any]:
        body = await self.old_once.call("POST", "/robot/send", what="send robot message", params=query,
                                        content=_encode(message), headers=JSON_HEADERS, authenticated=False)
        return body if isinstance(body, dict) else {}
