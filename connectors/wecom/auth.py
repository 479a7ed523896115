"""Access tokens: one per (corp, secret), cached and shared by every worker, refreshed once at a time.

``gettoken?corpid=&corpsecret=`` answers ``{"access_token", "expires_in": 7200}``. The
SDK's :class:`~hub.sdk.TokenManager` keeps the token in the database (encrypted) so all
processes share it (gettoken is itself rate limited, and a new token may end the old
one early), refreshes it 5 minutes before it expires, and when WeCom answers 40001,
40014 or 42001 drops only the token that was refused: the call is replayed once with a
fresh token (``VendorClient`` does the replay).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hub.sdk import Credentials, TokenManager, TokenStore, credential_key

REFRESH_MARGIN = 300.0
TOKEN_PARAM = "access_token"  # noqa: S105 - the query parameter's name

Fetch = Callable[[str], Awaitable[tuple[str, float]]]  # secret -> (token, seconds it lives)


class TokenAuth:
    """The SDK ``Authenticator`` for one secret: the token goes in the ``access_token`` query parameter."""

    def __init__(self, tokens: TokenManager) -> None:
        self.tokens = tokens

    async def credentials(self) -> Credentials:
        return Credentials(params={TOKEN_PARAM: await self.tokens.get()})

    async def refresh(self, used: Credentials) -> None:
        await self.tokens.invalidate(used.params.get(TOKEN_PARAM))


class TokenManagers:
    """One :class:`TokenManager` per distinct secret of the corp (the app's, 客户联系's, 审批's)."""

    def __init__(self, base_url: str, corp_id: str, fetch: Fetch, store: TokenStore | None) -> None:
        self.base_url, self.corp_id = base_url, corp_id
        self.fetch = fetch
        self.store = store
        self._managers: dict[str, TokenManager] = {}

    def for_secret(self, secret: str) -> TokenManager:
        key = credential_key("wecom", self.base_url, self.corp_id, secret)
        manager = self._managers.get(key)
        if manager is None:
            async def fetch() -> tuple[str, float]:
                return await self.fetch(secret)

            manager = TokenManager(key, fetch, self.store, refresh_margin=REFRESH_MARGIN)
            self._managers[key] = manager
        return manager

    @property
    def fetches(self) -> int:
        """gettoken calls made by this process (tests, metrics)."""
        return sum(m.fetches for m in self._managers.values())
