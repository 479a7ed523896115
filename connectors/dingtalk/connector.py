"""The ``dingtalk`` connector type: DingTalk (钉钉) approvals in, messages, to-dos and approvals out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from connectors.dingtalk.actions import Pusher
from connectors.dingtalk.auth import HeaderTokenAuth, QueryTokenAuth
from connectors.dingtalk.client import DingTalkClient
from connectors.dingtalk.settings import DingTalkSettings
from connectors.dingtalk.streams import STREAM, fetch_instances, read_instances
from connectors.dingtalk.templates import Templates
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


class DingTalkConnector(Connector):
    type = "dingtalk"
    settings_model = DingTalkSettings
    streams: ClassVar[dict[str, StreamSpec]] = {
        STREAM: StreamSpec(
            STREAM, "contract", "审批实例 approval instances of the templates in process_codes",
            cursor_field="createTime",
            detects_deletes=False,  # instances are never deleted, and a full read lists only history_days
        ),
    }
    actions: ClassVar[dict[str, ActionSpec]] = {
        "robot": ActionSpec("robot", None, "自定义机器人 a group robot message (text, markdown), signed with 加签"),
        "work_notification": ActionSpec("work_notification", None, "工作通知 a work notification (≤ 100 users a call)"),
        "todo": ActionSpec("todo", None, "待办 a to-do, sourceId = the idempotency key"),
        "approval": ActionSpec("approval", "contract", "发起审批 start an approval instance"),
    }

    def __init__(
        self,
        settings: ConnectorSettings,
        context: ConnectorContext,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,  # tests wait for nothing
    ) -> None:
        settings = settings_as(DingTalkSettings, settings)
        super().__init__(settings, context)
        self.settings: DingTalkSettings = settings
        self.new_http = make_http_client(context, settings.base_url)
        self.old_http = make_http_client(context, settings.base_url_old)
        store = token_store(context.engine, context.secret_box)
        secret = settings.app_secret.get_secret_value()
        self.new_tokens = TokenManager(credential_key("dingtalk", "v1.0", settings.base_url, settings.app_key, secret),
                                       self._new_token, store)
        self.old_tokens = TokenManager(credential_key("dingtalk", "oapi", settings.base_url_old, settings.app_key,
                                                      secret), self._old_token, store)
        self.client = DingTalkClient(self.new_http, self.old_http, settings, new_auth=HeaderTokenAuth(self.new_tokens),
                                     old_auth=QueryTokenAuth(self.old_tokens), sleep=sleep)
        templates = Templates(Path(settings.template_dir) if settings.template_dir else None)
        self.pusher = Pusher(self.client, settings, templates, clock=context.clock, sleep=sleep)

    async def _new_token(self) -> tuple[str, float]:
        return await self.client.new_token()

    async def _old_token(self) -> tuple[str, float]:
        return await self.client.old_token()

    async def check(self) -> Health:
        """Get both tokens (the credentials work on both hosts); list one page of each template."""
        try:
            await self.new_tokens.get()
            await self.old_tokens.get()
            now = int(self.context.clock().timestamp() * 1000)
            seen = {code: len((await self.client.list_instance_ids(code, now - 86_400_000, now, 0, 1))[0])
                    for code in self.settings.process_codes}
        except HubError as exc:
            return Health(False, exc.message, {"code": exc.code})
        return Health(True, f"DingTalk app {self.settings.app_key} answers on both API hosts",
                      {"process_codes": sorted(seen)})

    def _stream(self, stream: str) -> None:
        if stream != STREAM:
            raise ConflictError(f"dingtalk has no stream {stream!r}", details={"streams": sorted(self.streams)})

    async def read(self, stream: str, state: StreamState, *, full: bool) -> AsyncIterator[Page]:
        self._stream(stream)
        s = self.settings
        now = int(self.context.clock().timestamp() * 1000)
        async for page in read_instances(self.client, s.process_codes, state, full=full, now_ms=now,
                                         history_days=s.history_days, page_size=s.page_size):
            yield page

    async def fetch(self, stream: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        self._stream(stream)
        return await fetch_instances(self.client, ids)

    async def push(self, action: str, record: dict[str, Any], *, idempotency_key: str) -> PushResult:
        return await self.pusher.push(action, record, idempotency_key=idempotency_key)

    async def aclose(self) -> None:
        await self.new_http.aclose()
        await self.old_http.aclose()
