"""Authentication: the shared login session, or signed requests.

Session mode logs in through the SDK's :class:`~hub.sdk.TokenManager`, so every
worker shares one session per credential (kept encrypted in the database) and a
burst of "session expired" answers causes a single re-login. The session id goes
back as the ``kdservice-sessionid`` cookie. Signature mode needs no login: each
request is signed just before it is sent (see :mod:`.signing`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from connectors.erp.kingdee.settings import KingdeeSettings
from connectors.erp.kingdee.signing import SigningKeys, signed_headers
from hub.sdk import Credentials, TokenManager

SESSION_COOKIE = "kdservice-sessionid"
SESSION_LIFETIME = 15 * 60.0  # K3 Cloud drops idle sessions after ~20 minutes; MsgCode 1 covers the rest
REFRESH_MARGIN = 60.0

def session_cookie(session_id: str) -> Credentials:
    return Credentials(headers={"Cookie": f"{SESSION_COOKIE}={session_id}"})

def session_of(credentials: Credentials) -> str | None:
    cookie = credentials.headers.get("Cookie", "")
    prefix = f"{SESSION_COOKIE}="
    return cookie[len(prefix):] if cookie.startswith(prefix) else None

def login_parameters(settings: KingdeeSettings) -> list[str | int]:
    """``ValidateUser``: acct, user, password, lcid; ``LoginByAppSecret``: acct, user, app id, app secret, lcid."""
    if settings.login_service == "ValidateUser":
        assert settings.password is not None
        return [settings.acct_id, settings.username, settings.password.get_secret_value(), settings.lcid]
    assert settings.app_id is not None
    assert settings.app_secret is not None
    return [settings.acct_id, settings.username, settings.app_id, settings.app_secret.get_secret_value(),
            settings.lcid]

class SessionAuth:
    """The SDK ``Authenticator`` for session mode."""

    def __init__(self, tokens: TokenManager) -> None:
        self.tokens = tokens

    async def credentials(self) -> Credentials:
        return session_cookie(await self.tokens.get())

    async def refresh(self, used: Credentials) -> None:
        await self.tokens.invalidate(session_of(used))

class RequestSigner:
    """Signs each request for signature mode (passed to ``VendorClient.call(sign=...)``)."""

    def __init__(self, settings: KingdeeSettings, clock: Callable[[], float] = time.time) -> None:
        assert settings.app_id is not None
        assert settings.app_secret is not None
        client_secret = settings.client_secret or settings.app_secret
        self.keys = SigningKeys(
            client_id=settings.client_id or settings.app_id,
            client_secret=client_secret.get_secret_value(),
            app_id=settings.app_id,
            app_secret=settings.app_secret.get_secret_value(),
            acct_id=settings.acct_id,
            username=settings.username,
            lcid=settings.lcid,
            org_num=settings.org_num or "0",
        )
        self.clock = clock

    def __call__(self, request: httpx.Request) -> None:
        request.headers.update(signed_headers(self.keys, request.url.path, int(self.clock())))
