"""The ``wecom`` connector type: WeCom (企业微信) customer contacts, approvals and application messages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from connectors.wecom.applyevent import ApprovalStarter
from connectors.wecom.approvals import fetch_approvals, read_contracts
from connectors.wecom.client import WeComClient
from connectors.wecom.contacts import fetch_customers, read_customers
from connectors.wecom.messages import MessageSender
from connectors.wecom.settings import WeComSettings
from connectors.wecom.templates import MessageTemplates
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
    make_http_client,
    settings_as,
    token_store,
)

CONTACTS = "external_contact"
APPROVALS = "approval"


class WeComConnector(Connector):
    type = "wecom"
    settings_model = WeComSettings
    streams: ClassVar[dict[str, StreamSpec]] = {
        CONTACTS: StreamSpec(CONTACTS, "customer", "客户联系 external contacts of the follow users (full reads; "
                             "callbacks bring changes in between)"),
        APPROVALS: StreamSpec(APPROVALS, "contract", "审批 approvals of the configured contract templates",
                              cursor_field="apply_time", detects_deletes=False),
    }
    actions: ClassVar[dict[str, ActionSpec]] = {
        "message": ActionSpec("message", None, "应用消息 application message: text, markdown or textcard"),
        "approval": ActionSpec("approval", "contract", "oa/applyevent: start an approval; answers its sp_no"),
    }

    def __init__(
        self,
        settings: ConnectorSettings,
        context: ConnectorContext,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,  # tests wait for nothing
    ) -> None:
        settings = settings_as(WeComSettings, settings)
        super().__init__(settings, context)
        self.settings: WeComSettings = settings
        self.http = make_http_client(context, settings.base_url)
        store = token_store(context.engine, context.secret_box)
        self.client = WeComClient(self.http, settings, store=store, sleep=sleep)
        folders = [Path(settings.message_templates)] if settings.message_templates else []
        self.messages = MessageSender(self.client, settings, MessageTemplates(folders))
        self.approvals = ApprovalStarter(self.client, settings, clock=context.clock, sleep=sleep)

    async def check(self) -> Health:
        """A token, then the app (agent/get) or, without agent_id, the follow-user list."""
        try:
            if self.settings.agent_id is not None:
                app = await self.client.get("agent/get", scope="app", params={"agentid": self.settings.agent_id})
                return Health(True, f"WeCom corp {self.settings.corp_id}: app {app.get('name', '?')} "
                                    f"(AgentId {self.settings.agent_id}) answers", {"app": app.get("name")})
            users = await self.client.get("externalcontact/get_follow_user_list", scope="contacts")
        except HubError as exc:
            return Health(False, exc.message, {"code": exc.code})
        count = len(users.get("follow_user") or [])
        return Health(True, f"WeCom corp {self.settings.corp_id} answers: {count} employees with customer contact",
                      {"follow_users": count})

    async def read(self, stream: str, state: StreamState, *, full: bool) -> AsyncIterator[Page]:
        if stream == CONTACTS:
            async for page in read_customers(self.client, self.settings):
                yield page
        elif stream == APPROVALS:
            async for page in read_contracts(self.client, self.settings, state, full=full, clock=self.context.clock):
                yield page
        else:
            raise ConflictError(f"wecom has no stream {stream!r}", details={"streams": sorted(self.streams)})

    async def fetch(self, stream: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        if stream == CONTACTS:
            return await fetch_customers(self.client, self.settings, ids)
        if stream == APPROVALS:
            return await fetch_approvals(self.client, ids)
        return await super().fetch(stream, ids)

    async def push(self, action: str, record: dict[str, Any], *, idempotency_key: str) -> PushResult:
        if action == "message":
            return await self.messages.send(record, idempotency_key=idempotency_key)
        if action == "approval":
            return await self.approvals.start(record, idempotency_key=idempotency_key)
        return await super().push(action, record, idempotency_key=idempotency_key)

    async def aclose(self) -> None:
        await self.http.aclose()
