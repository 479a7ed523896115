"""WeCom's server API on the wire: every call through the SDK's VendorClient with the right token.

Calls go to ``{base_url}{path}?access_token=...``; GETs carry their arguments in the query,
POSTs a JSON body. Which token a call carries depends on the API family (its *scope*):
``app`` (messages, agent), ``contacts`` (externalcontact/*), ``approvals`` (oa/*); each
scope uses the secret set for it, falling back to the app's ``corp_secret``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import httpx

from connectors.wecom.auth import TokenAuth, TokenManagers
from connectors.wecom.errors import GETTOKEN_ERRORS, RETRY, WECOM_ERRORS
from connectors.wecom.settings import WeComSettings
from hub.sdk import RateLimiter, RetryPolicy, TokenStore, VendorClient, VendorError

Scope = Literal["app", "contacts", "approvals"]
DEFAULT_LIFETIME = 7200.0


class WeComClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: WeComSettings,
        *,
        store: TokenStore | None = None,
        retry: RetryPolicy = RETRY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.http = http
        self.settings = settings
        limiter = RateLimiter(settings.max_calls_per_second) if settings.max_calls_per_second else None
        self.tokens = TokenManagers(settings.base_url, settings.corp_id, self._gettoken, store)
        self._token_client = VendorClient(http, GETTOKEN_ERRORS, retry=retry, limiter=limiter, sleep=sleep)
        app = settings.corp_secret
        secrets = {"app": app, "contacts": settings.contact_secret or app, "approvals": settings.approval_secret or app}
        self._clients: dict[str, VendorClient] = {
            scope: VendorClient(http, WECOM_ERRORS, retry=retry, limiter=limiter, sleep=sleep,
                                auth=TokenAuth(self.tokens.for_secret(secret.get_secret_value())))
            for scope, secret in secrets.items()
        }
        # Writes that must not be repeated blindly (a lost answer may hide a created approval):
        # tried once; only a refused token is replayed, since WeCom did nothing with that call.
        self._once: dict[str, VendorClient] = {
            scope: VendorClient(http, WECOM_ERRORS, retry=RetryPolicy(attempts=1), limiter=limiter, sleep=sleep,
                                auth=client.auth)
            for scope, client in self._clients.items()
        }

    async def _gettoken(self, secret: str) -> tuple[str, float]:
        body = await self._token_client.call(
            "GET", "gettoken", what="gettoken", authenticated=False,
            params={"corpid": self.settings.corp_id, "corpsecret": secret},
        )
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise VendorError("wecom gettoken: the answer has no access_token", details={"vendor": "wecom"})
        return str(token), float(body.get("expires_in") or DEFAULT_LIFETIME)

    async def get(self, path: str, *, scope: Scope, params: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self._clients[scope].call("GET", path, what=path, params=params)
        return body if isinstance(body, dict) else {}

    async def post(self, path: str, body: dict[str, Any], *, scope: Scope, once: bool = False) -> dict[str, Any]:
        answer = await (self._once if once else self._clients)[scope].call("POST", path, what=path, json=body)
        return answer if isinstance(answer, dict) else {}

    @property
    def requests(self) -> int:
        """Calls sent in all, gettoken included (tests, metrics)."""
        clients = [*self._clients.values(), *self._once.values()]
        return self._token_client.requests + sum(c.requests for c in clients)
