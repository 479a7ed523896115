"""What the connector pushes: robot messages, work notifications, to-dos, and approvals it starts.

Every action takes the push's idempotency key and does its best never to do the thing twice:

- ``todo``: the key is DingTalk's ``sourceId``; a retry looks the to-do up by sourceId first.
- ``approval``: with ``approval_reference_field`` set, the key goes into that form field as
  ``hub:<key>``; a retry lists the originator's recent instances of the template and finds it.
- ``robot`` and ``work_notification``: DingTalk offers no lookup, so the connector remembers what
  it sent (in this process) and never re-sends a chunk it knows was sent. Across processes a
  retried work notification is still harmless to users: DingTalk delivers the same content to a
  user once a day. A robot message retried after a lost answer may appear twice.

Creating calls are sent once (no blind retry): a rate limit (nothing was created) waits and sends
again; any other transient error looks the thing up again before another try where a lookup exists.

Records (what a flow or a mapping's push section gives)::

    robot              {"msgtype": "text", "text": {"content": ".."}, "at": {...}}   or markdown {"title", "text"}
                       or {"msgtype": "markdown", "template": "contract-signed", "lang": "zh", "data": {...}}
    work_notification  {"userid_list": ["u1", ...] | "u1,u2", "dept_id_list": .., "to_all_user": false,
                        "msg": {...} | the robot's message keys}                   (≤ 100 users a call: split)
    todo               {"unionId": "..", "subject": "..", "description", "dueTime" (ms), "executorIds": [unionId],
                        "participantIds", "detailUrl": {"appUrl", "pcUrl"}, "priority"}
    approval           {"processCode": "PROC-..", "originatorUserId": "..", "deptId": 1,
                        "form": {"合同编号": ..} | "formComponentValues": [{"name", "value"}]}
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from connectors.dingtalk.client import DingTalkClient
from connectors.dingtalk.settings import DingTalkSettings
from connectors.dingtalk.signing import robot_query
from connectors.dingtalk.streams import DAY_MS, form_values
from connectors.dingtalk.templates import Templates
from hub.errors import ConfigError, ConflictError, RateLimitedError, RecordError, RetryableError
from hub.sdk import PushResult, RetryPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")
ATTEMPTS = 4
USERS_PER_CALL = 100
MAX_DEPARTMENTS = 20
REFERENCE_PREFIX = "hub:"
MESSAGE_TYPES = ("text", "markdown", "link", "actionCard", "action_card", "oa", "feedCard")


class PushRecordError(RecordError):
    """The pushed record cannot become a DingTalk call (missing recipient, empty text): quarantine it."""

    code = "push_record_invalid"


def message_of(record: dict[str, Any], templates: Templates) -> dict[str, Any]:
    """DingTalk's message object from a record: explicit, or rendered from a template."""
    msgtype = str(record.get("msgtype") or ("markdown" if "template" in record else "text"))
    if "template" in record:
        rendered = templates.render(str(record["template"]), record.get("data") or {}, str(record.get("lang", "zh")))
        if msgtype == "text":
            return {"msgtype": "text", "text": {"content": rendered.text}}
        if msgtype == "markdown":
            return {"msgtype": "markdown", "markdown": {"title": rendered.title, "text": rendered.text}}
        raise PushRecordError(f"a template renders text or markdown messages, not {msgtype!r}")
    content = record.get(msgtype)
    if msgtype not in MESSAGE_TYPES or not isinstance(content, dict) or not content:
        raise PushRecordError(
            f"the message needs msgtype ({', '.join(MESSAGE_TYPES)}) and its content under that key, e.g. "
            '{"msgtype": "text", "text": {"content": "..."}}, or a template', details={"msgtype": msgtype})
    if msgtype == "text" and not str(content.get("content") or "").strip():
        raise PushRecordError("the text message is empty (text.content)")
    if msgtype == "markdown" and not (content.get("title") and content.get("text")):
        raise PushRecordError("a markdown message needs markdown.title and markdown.text")
    return {"msgtype": msgtype, msgtype: content}


def user_ids(value: Any) -> list[str]:
    """``userid_list`` as DingTalk users (a list, or text separated by commas)."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return list(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


class SentLedger:
    """What this process sent, by idempotency key (and chunk): the newest ``limit`` entries."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._entries: OrderedDict[str, PushResult] = OrderedDict()

    def get(self, key: str) -> PushResult | None:
        return self._entries.get(key)

    def __setitem__(self, key: str, result: PushResult) -> None:
        self._entries[key] = result
        self._entries.move_to_end(key)
        while len(self._entries) > self.limit:
            self._entries.popitem(last=False)


class Pusher:
    def __init__(
        self,
        client: DingTalkClient,
        settings: DingTalkSettings,
        templates: Templates,
        *,
        clock: Callable[[], datetime],
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.settings = settings
        self.templates = templates
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.sent = SentLedger()

    async def push(self, action: str, record: dict[str, Any], *, idempotency_key: str) -> PushResult:
        handlers = {"robot": self.robot, "work_notification": self.work_notification, "todo": self.todo,
                    "approval": self.approval}
        handler = handlers.get(action)
        if handler is None:
            raise ConflictError(f"dingtalk has no push action {action!r}", details={"actions": sorted(handlers)})
        return await handler(record, idempotency_key)

    def _now_ms(self) -> int:
        return int(self.clock().timestamp() * 1000)

    async def _until_sent(self, send: Callable[[], Awaitable[T]]) -> T:
        """Send again only after a rate limit (nothing was created); anything else goes to the caller."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await send()
            except RateLimitedError as exc:
                if attempt == ATTEMPTS or (exc.retry_after or 0) > self.retry.max_retry_after:
                    raise
                await self.sleep(self.retry.backoff(attempt, exc.retry_after))
        raise AssertionError("unreachable")

    # -- robot -----------------------------------------------------------------------------------

    async def robot(self, record: dict[str, Any], key: str) -> PushResult:
        s = self.settings
        if s.robot_access_token is None:
            raise ConfigError("dingtalk robot messages need robot_access_token (and robot_secret for 加签) in the "
                              "connector's settings")
        remembered = self.sent.get(f"robot:{key}")
        if remembered is not None:
            return PushResult(remembered.external_id, created=False, raw=remembered.raw)
        message = message_of(record, self.templates)
        if isinstance(record.get("at"), dict):
            message["at"] = record["at"]
        token = s.robot_access_token.get_secret_value()
        secret = s.robot_secret.get_secret_value() if s.robot_secret is not None else None

        async def send() -> dict[str, Any]:  # a fresh timestamp and signature for every try
            return await self.client.send_robot(robot_query(token, secret, self._now_ms()), message)

        answer = await self._until_sent(send)
        result = PushResult(f"robot:{key}", created=True, raw=answer)
        self.sent[f"robot:{key}"] = result
        return result

    # -- work notification -------------------------------------------------------------------------

    async def work_notification(self, record: dict[str, Any], key: str) -> PushResult:
        if self.settings.agent_id is None:
            raise ConfigError("dingtalk work notifications need agent_id (the app's AgentId) in the connector's "
                              "settings")
        message = record["msg"] if isinstance(record.get("msg"), dict) else message_of(record, self.templates)
        users = user_ids(record.get("userid_list"))
        departments = user_ids(record.get("dept_id_list"))
        to_all = bool(record.get("to_all_user"))
        if len(departments) > MAX_DEPARTMENTS:
            raise PushRecordError(f"dept_id_list has {len(departments)} departments; DingTalk takes at most "
                                  f"{MAX_DEPARTMENTS} a call")
        if not (users or departments or to_all):
            raise PushRecordError("a work notification needs userid_list, dept_id_list or to_all_user: true")
        chunks = [users[i:i + USERS_PER_CALL] for i in range(0, len(users), USERS_PER_CALL)] or [[]]
        task_ids: list[str] = []
        created = False
        for number, chunk in enumerate(chunks):
            chunk_key = f"work_notification:{key}#{number}"
            remembered = self.sent.get(chunk_key)
            if remembered is None:
                request: dict[str, Any] = {"agent_id": self.settings.agent_id, "userid_list": ",".join(chunk),
                                           "to_all_user": to_all and number == 0, "msg": message}
                if departments and number == 0:
                    request["dept_id_list"] = ",".join(departments)
                answer = await self._until_sent(functools.partial(self.client.send_work_notification, request))
                remembered = PushResult(str(answer.get("task_id", "")), created=True, raw=answer)
                self.sent[chunk_key] = remembered
                created = True
            task_ids.append(remembered.external_id)
        return PushResult(",".join(task_ids), created=created, raw={"task_ids": task_ids, "calls": len(chunks)})

    # -- to-do -------------------------------------------------------------------------------------

    async def todo(self, record: dict[str, Any], key: str) -> PushResult:
        body = {k: v for k, v in record.items() if k != "unionId"}
        executors = user_ids(body.get("executorIds"))
        union_id = str(record.get("unionId") or (executors[0] if executors else "")).strip()
        if not union_id:
            raise PushRecordError("a to-do needs unionId (whose to-do list) or executorIds (unionIds, not userIds)")
        if not str(body.get("subject") or "").strip():
            raise PushRecordError("a to-do needs a subject")
        body["sourceId"] = key  # DingTalk's own idempotency handle: the lookup below finds it
        sent = False
        for attempt in range(1, ATTEMPTS + 1):
            found = await self.client.find_todo(union_id, key)
            if found is not None:
                return PushResult(str(found["id"]), created=sent, raw=found)
            try:
                created = await self._until_sent(lambda: self.client.create_todo(union_id, body))
            except RetryableError as exc:  # the answer was lost: it may exist now, look again first
                sent = True
                log.info("dingtalk create to-do: %s; looking it up before trying again", exc)
                await self.sleep(self.retry.backoff(attempt))
                continue
            return PushResult(str(created["id"]), created=True, raw=created)
        raise RetryableError(f"dingtalk create to-do: no answer after {ATTEMPTS} tries", details={"vendor": "dingtalk"})

    # -- approval ----------------------------------------------------------------------------------

    def _approval_request(self, record: dict[str, Any], reference: str | None) -> dict[str, Any]:
        request = {k: v for k, v in record.items() if k != "form"}
        if not request.get("processCode"):
            if not self.settings.process_codes:
                raise PushRecordError("an approval needs processCode (or process_codes in the connector settings)")
            request["processCode"] = self.settings.process_codes[0]
        if not request.get("originatorUserId"):
            raise PushRecordError("an approval needs originatorUserId (the DingTalk userId who starts it)")
        components = [dict(c) for c in request.get("formComponentValues") or [] if isinstance(c, dict)]
        for name, value in (record.get("form") or {}).items():
            components.append({"name": str(name), "value": "" if value is None else str(value)})
        field = self.settings.approval_reference_field
        if field is not None and reference is not None:
            components = [c for c in components if c.get("name") != field] + [{"name": field, "value": reference}]
        if not components:
            raise PushRecordError("an approval needs its form: form {name: value} or formComponentValues")
        request["formComponentValues"] = components
        return request

    async def find_approval(self, request: dict[str, Any], reference: str) -> str | None:
        """The instance started earlier with ``reference`` in the reference field, if any."""
        field = self.settings.approval_reference_field
        now = self._now_ms()
        since = now - self.settings.approval_lookup_days * DAY_MS
        token: str | None = None
        while True:
            ids, token = await self.client.list_instance_ids(
                str(request["processCode"]), since, now, token or 0, self.settings.page_size,
                user_ids=[str(request["originatorUserId"])])
            for instance_id in ids:
                detail = await self.client.get_instance(instance_id)
                if detail is not None and field and form_values(detail.get("formComponentValues")).get(field) \
                        == reference:
                    return instance_id
            if token is None:
                return None

    async def approval(self, record: dict[str, Any], key: str) -> PushResult:
        reference = REFERENCE_PREFIX + key if self.settings.approval_reference_field else None
        request = self._approval_request(record, reference)
        if reference is None:  # no field to find it by: only this process remembers it
            remembered = self.sent.get(f"approval:{key}")
            if remembered is not None:
                return PushResult(remembered.external_id, created=False, raw=remembered.raw)
        sent = False
        for attempt in range(1, ATTEMPTS + 1):
            if reference is not None:
                found = await self.find_approval(request, reference)
                if found is not None:
                    return PushResult(found, created=sent, raw={"instanceId": found})
            try:
                instance_id = await self._until_sent(lambda: self.client.create_instance(request))
            except RetryableError as exc:
                if reference is None:
                    raise
                sent = True
                log.info("dingtalk start approval: %s; looking it up before trying again", exc)
                await self.sleep(self.retry.backoff(attempt))
                continue
            result = PushResult(instance_id, created=True, raw={"instanceId": instance_id})
            self.sent[f"approval:{key}"] = result
            return result
        raise RetryableError(f"dingtalk start approval: no answer after {ATTEMPTS} tries",
                             details={"vendor": "dingtalk"})
