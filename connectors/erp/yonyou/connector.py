"""``YonyouConnector``: Yonyou YonBIP / YonSuite through the open API of a self-built app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar

from connectors.erp.yonyou.actions import CUSTOMER_ACTION, Outcome, push_customers
from connectors.erp.yonyou.api import Sleep, YonyouApi
from connectors.erp.yonyou.paging import list_body
from connectors.erp.yonyou.settings import YonyouSettings
from connectors.erp.yonyou.streams import CUSTOMER_LIST, STREAMS, read_stream
from hub.errors import ConfigError, HubError
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
    settings_as,
)


class YonyouConnector(Connector):
    type = "yonyou"
    settings_model = YonyouSettings
    streams: ClassVar[dict[str, StreamSpec]] = {name: s.spec for name, s in STREAMS.items()}
    actions: ClassVar[dict[str, ActionSpec]] = {CUSTOMER_ACTION.object: CUSTOMER_ACTION}

    def __init__(self, settings: ConnectorSettings, context: ConnectorContext, *, sleep: Sleep | None = None) -> None:
        settings = settings_as(YonyouSettings, settings)
        super().__init__(settings, context)
        self.yonyou_settings = settings
        self.api = YonyouApi(settings, context, sleep=sleep)

    async def check(self) -> Health:
        """Discovery, a token, and one small customer list call."""
        try:
            gateway = await self.api.check()
            data = await self.api.post(CUSTOMER_LIST, list_body(1, 1, None), what="merchant/newlist")
        except HubError as exc:
            return Health(False, exc.message, {"error": exc.code, **_dict(exc.details)})
        count = data.get("recordCount") if isinstance(data, dict) else None
        return Health(True, f"connected to tenant {self.yonyou_settings.tenant_id} at {gateway.gateway_url}",
                      {"gateway_url": gateway.gateway_url, "token_url": gateway.token_url, "customers": count})

    async def read(self, stream: str, state: StreamState, *, full: bool) -> AsyncIterator[Page]:
        spec = STREAMS.get(stream)
        if spec is None:
            raise ConfigError(f"yonyou has no stream {stream!r}; it offers {', '.join(sorted(STREAMS))}",
                              details={"streams": sorted(STREAMS)})
        async for page in read_stream(self.api, spec, state, full=full):
            yield page

    async def push(self, action: str, record: dict[str, Any], *, idempotency_key: str) -> PushResult:
        [outcome] = await self.push_many(action, [(record, idempotency_key)])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def push_many(self, action: str, items: Sequence[tuple[dict[str, Any], str]]) -> list[Outcome]:
        """Push several records in one batch call; each gets a PushResult or its own VendorRecordError."""
        if action != CUSTOMER_ACTION.object:
            return [await super().push(action, record, idempotency_key=key) for record, key in items]
        return await push_customers(self.api, items)

    async def aclose(self) -> None:
        await self.api.aclose()


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}
