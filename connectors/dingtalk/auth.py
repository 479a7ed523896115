"""Both token generations, each cached and shared by every worker through the SDK's TokenManager.

- New (api.dingtalk.com): ``POST /v1.0/oauth2/accessToken`` gives ``accessToken``; every v1.0
  call sends it in the header ``x-acs-dingtalk-access-token`` (not a query parameter, not Bearer).
- Old (oapi.dingtalk.com): ``GET /gettoken?appkey=&appsecret=`` gives ``access_token``; old calls
  take it as ``?access_token=``.

Both live about 7200 s. A token DingTalk rejects (new InvalidAuthentication, old 40014/42001 or
errcode 88 with such a sub_code) is dropped and fetched again once, then the call is replayed
(the SDK's VendorClient does the replay; see errors.py for the codes).
"""

from __future__ import annotations

from hub.sdk import Credentials, TokenManager

NEW_TOKEN_HEADER = "x-acs-dingtalk-access-token"  # noqa: S105 - a header name
OLD_TOKEN_PARAM = "access_token"  # noqa: S105 - a query parameter name
TOKEN_LIFETIME = 7200.0  # when the answer does not say


class HeaderTokenAuth:
    """The SDK ``Authenticator`` for the v1.0 API: the token in ``x-acs-dingtalk-access-token``."""

    def __init__(self, tokens: TokenManager) -> None:
        self.tokens = tokens

    async def credentials(self) -> Credentials:
        return Credentials(headers={NEW_TOKEN_HEADER: await self.tokens.get()})

    async def refresh(self, used: Credentials) -> None:
        await self.tokens.invalidate(used.headers.get(NEW_TOKEN_HEADER))


class QueryTokenAuth:
    """The SDK ``Authenticator`` for the old API: the token as ``?access_token=``."""

    def __init__(self, tokens: TokenManager) -> None:
        self.tokens = tokens

    async def credentials(self) -> Credentials:
        return Credentials(params={OLD_TOKEN_PARAM: await self.tokens.get()})

    async def refresh(self, used: Credentials) -> None:
        await self.tokens.invalidate(used.params.get(OLD_TOKEN_PARAM))
