"""The wire protocol: discovery, the shared signed token, and ``{gatewayUrl}/yonbip/...?access_token=`` calls."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from connectors.erp.yonyou.errors import API_ERRORS, AUTH_ERRORS
from connectors.erp.yonyou.gateway import Gateway, discover
from connectors.erp.yonyou.settings import YonyouSettings
from connectors.erp.yonyou.signing import token_url
from hub.sdk import (
    ConnectorContext,
    Credentials,
    RateLimiter,
    TokenManager,
    VendorClient,
    VendorError,
    credential_key,
    make_http_client,
    token_store,
)

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
DEFAULT_TOKEN_LIFETIME = 7200.0


class TokenAuth:
    """The SDK ``Authenticator``: ``?access_token=`` from the shared token manager."""

    def __init__(self, tokens: TokenManager) -> None:
        self.tokens = tokens

    async def credentials(self) -> Credentials:
        return Credentials(params={"access_token": await self.tokens.get()})

    async def refresh(self, used: Credentials) -> None:
        await self.tokens.invalidate(used.params.get("access_token"))


class YonyouApi:
    """One tenant's open API. Discovery is done once per instance and cached; the token is shared
    by every worker through the SDK token manager (keyed by gateway, tenant and appKey)."""

    def __init__(self, settings: YonyouSettings, context: ConnectorContext, *, sleep: Sleep | None = None) -> None:
        self.settings = settings
        self.context = context
        self.http = make_http_client(context)
        limiter = RateLimiter(settings.requests_per_second) if settings.requests_per_second else None
        extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        store = token_store(context.engine, context.secret_box)
        self.tokens = TokenManager(
            credential_key("yonyou", settings.base_url, settings.tenant_id, settings.app_key),
            self._fetch_token, store, clock=lambda: context.clock().timestamp(),
        )
        self.auth_client = VendorClient(self.http, AUTH_ERRORS, limiter=limiter, **extra)
        self.client = VendorClient(self.http, API_ERRORS, limiter=limiter, auth=TokenAuth(self.tokens), **extra)
        self._gateway: Gateway | None = None
        self._gateway_lock = asyncio.Lock()

    async def gateway(self) -> Gateway:
        if self._gateway is None:
            async with self._gateway_lock:
                if self._gateway is None:
                    self._gateway = await discover(self.auth_client, self.settings.base_url, self.settings.tenant_id)
                    log.info("yonyou tenant %s: data centre %s", self.settings.tenant_id, self._gateway.gateway_url)
        return self._gateway

    async def _fetch_token(self) -> tuple[str, float]:
        gateway = await self.gateway()
        timestamp_ms = int(self.context.clock().timestamp() * 1000)
        url = token_url(gateway.token_url, self.settings.app_key,
                        self.settings.app_secret.get_secret_value(), timestamp_ms)
        try:
            body = await self.auth_client.call("GET", url, what="getAccessToken", authenticated=False)
        except VendorError as exc:
            raise VendorError(
                f"{exc.message} (check app_key and app_secret in hub.yaml, and this server's clock)",
                details=exc.details,
            ) from None
        data = body.get("data") if isinstance(body, dict) else None
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            code = body.get("code") if isinstance(body, dict) else None
            raise VendorError("yonyou getAccessToken: the answer has no access_token",
                              details={"vendor": "yonyou", "code": code})
        expire = data.get("expire") if isinstance(data, dict) else None
        return token, float(expire) if isinstance(expire, int | float) and expire > 0 else DEFAULT_TOKEN_LIFETIME

    async def post(self, path: str, body: dict[str, Any], *, what: str) -> Any:
        """``data`` of a successful ``POST {gatewayUrl}{path}``."""
        gateway = await self.gateway()
        answer = await self.client.call("POST", gateway.gateway_url + path, json=body, what=what)
        return answer.get("data") if isinstance(answer, dict) else None

    async def get(self, path: str, params: dict[str, str], *, what: str) -> Any:
        """``data`` of a successful ``GET {gatewayUrl}{path}``; query parameters go in ``params``
        (a query written into the URL would be replaced by the access_token parameter)."""
        gateway = await self.gateway()
        answer = await self.client.call("GET", gateway.gateway_url + path, params=params, what=what)
        return answer.get("data") if isinstance(answer, dict) else None

    async def check(self) -> Gateway:
        """Discovery and a token: raises the hub error for whichever step fails."""
        gateway = await self.gateway()
        await self.tokens.get()
        return gateway

    async def aclose(self) -> None:
        await self.http.aclose()

