"""The ``kingdee`` connector type: Kingdee K3 Cloud (金蝶云星空) through its WebAPI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar

from connectors.erp.kingdee.actions import Pusher
from connectors.erp.kingdee.auth import REFRESH_MARGIN, SESSION_LIFETIME, RequestSigner, SessionAuth
from connectors.erp.kingdee.client import KingdeeClient
from connectors.erp.kingdee.query import read_changes
from connectors.erp.kingdee.settings import KingdeeSettings
from connectors.erp.kingdee.streams import CUSTOMERS, QUERIES, fetcher, read_payments
from hub.errors import ConflictError, HubError
from hub.sdk import (
    ActionSpec,
    Connector,
    ConnectorContext,
    ConnectorSettings,
    Health,
    Page,
    PushResult,
    StreamSpec,
    StreamState,
    TokenManager,
    credential_key,
    make_http_client,
    settings_as,
    token_store,
)


class KingdeeConnector(Connector):
    type = "kingdee"
    settings_model = KingdeeSettings
    streams: ClassVar[dict[str, StreamSpec]] = {
        "BD_Customer": StreamSpec("BD_Customer", "customer", "客户 customers", cursor_field="FModifyDate"),
        "SAL_SaleOrder": StreamSpec("SAL_SaleOrder", "order", "销售订单 sales orders with lines",
                                    cursor_field="FModifyDate"),
        "AR_RECEIVEBILL": StreamSpec(
            "AR_RECEIVEBILL", "order", "收款单 receipts, as the amount received per sales order",
            cursor_field="FModifyDate", attach_to_object="SAL_SaleOrder",
        ),
        "PRD_MO": StreamSpec("PRD_MO", "production_order", "生产订单 production orders", cursor_field="FModifyDate"),
    }
    actions: ClassVar[dict[str, ActionSpec]] = {
        "PRD_MO": ActionSpec("PRD_MO", "production_order", "Save (then Submit/Audit per after_save) a 生产订单"),
        "BD_Customer": ActionSpec("BD_Customer", "customer", "Save (then Submit/Audit per after_save) a 客户"),
        "AR_receivable": ActionSpec("AR_receivable", None,
                                    "Save (then Submit/Audit per after_save) an 应收单 (receivable)"),
    }

    def __init__(
        self,
        settings: ConnectorSettings,
        context: ConnectorContext,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,  # tests wait for nothing
    ) -> None:
        settings = settings_as(KingdeeSettings, settings)
        super().__init__(settings, context)
        self.settings: KingdeeSettings = settings
        self.http = make_http_client(context, settings.base_url)
        auth: SessionAuth | None = None
        self.tokens: TokenManager | None = None
        if settings.auth == "session":
            store = token_store(context.engine, context.secret_box)
            self.tokens = TokenManager(self._session_key(), self._login, store, refresh_margin=REFRESH_MARGIN)
            auth = SessionAuth(self.tokens)
        signer = RequestSigner(settings) if settings.auth == "signature" else None
        self.client = KingdeeClient(self.http, settings, auth=auth, signer=signer, sleep=sleep)
        self.pusher = Pusher(self.client, settings, sleep=sleep)

    def _session_key(self) -> str:
        s = self.settings
        secret = s.password or s.app_secret
        return credential_key("kingdee", s.base_url, s.acct_id, s.username, s.login_service,
                              secret.get_secret_value() if secret else "")

    async def _login(self) -> tuple[str, float]:
        return await self.client.login(), SESSION_LIFETIME

    async def check(self) -> Health:
        """Log in (session mode) and read one customer number."""
        try:
            rows = await self.client.query(CUSTOMERS.form_id, ("FNumber",), limit=1)
        except HubError as exc:
            return Health(False, exc.message, {"code": exc.code})
        mode = "session login" if self.settings.auth == "session" else "signed requests"
        return Health(True, f"K3 Cloud data centre {self.settings.acct_id} answers ({mode})",
                      {"customers_seen": len(rows)})

    async def read(self, stream: str, state: StreamState, *, full: bool) -> AsyncIterator[Page]:
        limit = self.settings.page_size
        if stream == "AR_RECEIVEBILL":
            async for page in read_payments(self.client, state, full=full, limit=limit):
                yield page
            return
        query = QUERIES.get(stream)
        if query is None:
            raise ConflictError(f"kingdee has no stream {stream!r}", details={"streams": sorted(self.streams)})
        async for page in read_changes(fetcher(self.client, query), query, state, full=full, limit=limit):
            yield page

    async def push(self, action: str, record: dict[str, Any], *, idempotency_key: str) -> PushResult:
        return await self.pusher.push(action, record, idempotency_key=idempotency_key)

    async def aclose(self) -> None:
        await self.http.aclose()
