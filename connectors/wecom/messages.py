"""Application messages (应用消息): text, markdown and textcard through ``message/send``.

The pushed record is WeCom's message body, or the same with a template instead of the content::

    {"touser": ["zhangsan", "lisi"], "msgtype": "markdown", "markdown": {"content": "..."}}
    {"touser": "zhangsan|lisi", "msgtype": "textcard", "template": "contract-signed", "lang": "en",
     "data": {"number": "HT-2024-001", "amount": "128000.00", "url": "https://..."}}

The connector adds ``agentid`` and ``enable_duplicate_check: 1`` with ``duplicate_check_interval``:
WeCom drops a repeat of the same message within that interval, so a push retried by another
worker or after a crash is not delivered twice. Within one process the idempotency key is also
remembered: a second push with the same key answers the first msgid with ``created=False``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from connectors.wecom.client import WeComClient
from connectors.wecom.settings import WeComSettings
from connectors.wecom.templates import MessageTemplates
from hub.errors import ConfigError, RecordError
from hub.sdk import PushResult

MSGTYPES = ("text", "markdown", "textcard")
RECIPIENTS = ("touser", "toparty", "totag")
PASSED = (*RECIPIENTS, "msgtype", *MSGTYPES, "safe", "enable_id_trans")
MARKDOWN_BYTES = 2048
REMEMBERED = 10_000  # idempotency keys kept per process


def message_body(record: dict[str, Any], settings: WeComSettings, templates: MessageTemplates) -> dict[str, Any]:
    """The ``message/send`` body for a pushed record; RecordError says what is wrong with it."""
    if settings.agent_id is None:
        raise ConfigError("wecom: agent_id is not set: sending application messages needs the app's AgentId "
                          "(应用管理 → the app → AgentId)")
    msgtype = record.get("msgtype", "text")
    if msgtype not in MSGTYPES:
        raise RecordError(f"wecom message: msgtype {msgtype!r} is not one of {', '.join(MSGTYPES)}")
    body = {key: record[key] for key in PASSED if record.get(key) is not None}
    body["msgtype"] = msgtype
    for key in RECIPIENTS:
        if isinstance(body.get(key), list):
            body[key] = "|".join(str(v) for v in body[key])
    if not any(body.get(key) for key in RECIPIENTS):
        raise RecordError("wecom message: no recipient: give touser (userids, or \"@all\"), toparty or totag")
    if record.get("template"):
        body[msgtype] = templates.render(str(record["template"]), str(record.get("lang") or "zh"), msgtype,
                                         record.get("data") or {})
    content = body.get(msgtype)
    if not isinstance(content, dict) or not (content.get("content") or content.get("title")):
        raise RecordError(f"wecom message: a {msgtype} message needs {msgtype}.content"
                          + (" (textcard: title, description, url)" if msgtype == "textcard" else "")
                          + " or a template")
    if msgtype == "markdown" and len(str(content["content"]).encode()) > MARKDOWN_BYTES:
        raise RecordError(f"wecom message: the markdown content is {len(str(content['content']).encode())} bytes; "
                          f"WeCom takes at most {MARKDOWN_BYTES}")
    body.update(agentid=settings.agent_id, safe=body.get("safe", 0), enable_duplicate_check=1,
                duplicate_check_interval=settings.duplicate_check_interval)
    return body


class MessageSender:
    def __init__(self, client: WeComClient, settings: WeComSettings, templates: MessageTemplates) -> None:
        self.client, self.settings, self.templates = client, settings, templates
        self._sent: OrderedDict[str, str] = OrderedDict()

    async def send(self, record: dict[str, Any], *, idempotency_key: str) -> PushResult:
        known = self._sent.get(idempotency_key)
        if known is not None:
            return PushResult(known, created=False)
        body = message_body(record, self.settings, self.templates)
        answer = await self.client.post("message/send", body, scope="app")
        msgid = str(answer.get("msgid") or "")
        self._sent[idempotency_key] = msgid
        while len(self._sent) > REMEMBERED:
            self._sent.popitem(last=False)
        raw = {k: answer[k] for k in ("msgid", "invaliduser", "invalidparty", "invalidtag", "unlicenseduser")
               if answer.get(k)}
        return PushResult(msgid, created=True, raw=raw)
