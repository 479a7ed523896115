"""The simulated DingTalk: both API hosts' calls over seeded approvals, messages and to-dos.

Each ``handle_*`` method answers one call with ``(status, body, headers)``; :mod:`.app` puts
HTTP around them. Tests drive the same object directly (``sim.finish(id, "agree")``,
``sim.knobs.throttle_new_next = 2``, ``sim.robot_messages``) or through ``/_sim``.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectors.dingtalk.signing import ROBOT_CLOCK_TOLERANCE_MS, robot_signature
from connectors.dingtalk.simulator.data import (
    EMPLOYEES,
    TEMPLATES,
    DataGenerator,
    Instance,
    Task,
    dt_text,
    finish,
    seed_instances,
    union_id,
)
from connectors.dingtalk.simulator.gateway import Account, Gateway, Knobs, Reply

if TYPE_CHECKING:
    from fastapi import FastAPI

MAX_RESULTS = 20
USERS_PER_NOTIFICATION = 100


def _bad(code: str, message: str, status: int = 400) -> Reply:
    return status, {"code": code, "message": message, "requestid": secrets.token_hex(8)}, {}


def _old_bad(message: str) -> Reply:
    return 200, {"errcode": 88, "errmsg": f"ding talk error[subcode=40035,submsg={message}]", "sub_code": "40035",
                 "sub_msg": message}, {}


class DingTalkSimulator:
    def __init__(
        self,
        seed: int = 1,
        *,
        contracts: int = 40,
        leaves: int = 10,
        account: Account | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clock = clock
        self.knobs = Knobs()
        self.account = account or Account()
        self.gateway = Gateway(self.account, self.knobs, clock)
        self.gen = DataGenerator(seed)
        self.instances: dict[str, Instance] = {
            i.id: i for i in seed_instances(self.gen, contracts=contracts, leaves=leaves, now_ms=self.now_ms())}
        self.events: list[dict[str, Any]] = []  # what DingTalk would call back with, in order
        self.robot_messages: list[dict[str, Any]] = []
        self.work_notifications: list[dict[str, Any]] = []
        self.delivered: set[tuple[str, str, str]] = set()  # (userId, content, day): DingTalk's once-a-day rule
        self.todos: list[dict[str, Any]] = []
        self.calls = 0
        self.by_call: Counter[str] = Counter()
        self._robot_sent: deque[float] = deque()
        self._task_serial = 0

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    @property
    def app(self) -> FastAPI:
        """The ASGI app serving this simulator (both hosts; one per access, sharing this state)."""
        from connectors.dingtalk.simulator.app import create_app

        return create_app(self)

    def count(self, name: str) -> None:
        self.calls += 1
        self.by_call[name] += 1

    # -- control (tests, demos) ----------------------------------------------------------------

    def set_knobs(self, **values: Any) -> None:
        for name, value in values.items():
            if not hasattr(self.knobs, name):
                raise KeyError(f"unknown knob {name!r}")
            setattr(self.knobs, name, value)

    def expire_tokens(self) -> None:
        self.gateway.expire_tokens()

    def find(self, *, process_code: str | None = None, status: str | None = None, result: str | None = None
             ) -> list[Instance]:
        return [i for i in self._ordered() if (process_code is None or i.process_code == process_code)
                and (status is None or i.status == status) and (result is None or i.result == result)]

    def finish(self, instance_id: str, result: str = "agree", *, status: str = "COMPLETED") -> dict[str, Any]:
        """The approver agrees (or refuses; or ``status="TERMINATED"``: withdrawn); the callback event."""
        instance = self.instances[instance_id]
        finish(instance, status, result if status == "COMPLETED" else "", self.now_ms())
        event_type = "terminate" if status == "TERMINATED" else "finish"
        return self.instance_event(instance_id, event_type, result if status == "COMPLETED" else None)

    def task_event(self, instance_id: str, kind: str = "finish", result: str = "agree") -> dict[str, Any]:
        """A ``bpms_task_change`` event for the instance's last task (recorded in ``events``)."""
        instance = self.instances[instance_id]
        task = instance.tasks[-1]
        event = {"EventType": "bpms_task_change", "processInstanceId": instance.id, "corpId": self.account.corp_id,
                 "processCode": instance.process_code, "title": instance.title, "type": kind, "result": result,
                 "taskId": task.task_id, "staffId": task.user_id, "createTime": instance.create_ms,
                 "bizCategoryId": ""}
        if kind == "finish":
            event["finishTime"] = self.now_ms()
        self.events.append(event)
        return event

    def instance_event(self, instance_id: str, kind: str, result: str | None = None) -> dict[str, Any]:
        """A ``bpms_instance_change`` event (type start, finish or terminate), recorded in ``events``."""
        instance = self.instances[instance_id]
        event: dict[str, Any] = {
            "EventType": "bpms_instance_change", "processInstanceId": instance.id, "corpId": self.account.corp_id,
            "processCode": instance.process_code, "title": instance.title, "type": kind,
            "staffId": instance.originator, "createTime": instance.create_ms, "bizCategoryId": "",
            "url": f"https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm?procInsId={instance.id}",
        }
        if result is not None:
            event["result"] = result
        if instance.finish_ms is not None:
            event["finishTime"] = instance.finish_ms
        self.events.append(event)
        return event

    def stats(self) -> dict[str, Any]:
        return {"calls": self.calls, "by_call": dict(self.by_call), "tokens_issued": dict(self.gateway.issued),
                "instances": len(self.instances), "robot_messages": len(self.robot_messages),
                "work_notifications": len(self.work_notifications), "todos": len(self.todos)}

    def _ordered(self) -> list[Instance]:
        return sorted(self.instances.values(), key=lambda i: (i.create_ms, i.id))

    # -- tokens ------------------------------------------------------------------------------------

    def handle_new_token(self, body: Any) -> Reply:
        self.count("oauth2/accessToken")
        return self.gateway.new_token(body)

    def handle_old_token(self, query: dict[str, str]) -> Reply:
        self.count("gettoken")
        return self.gateway.old_token(query)

    # -- approvals (v1.0) ------------------------------------------------------------------------

    def handle_list_ids(self, headers: dict[str, str], body: Any) -> Reply:
        self.count("processes/instanceIds/query")
        refused = self.gateway.check_new(headers)
        if refused is not None:
            return refused
        if not isinstance(body, dict) or body.get("processCode") not in TEMPLATES:
            return _bad("InvalidParameter.ProcessCode", "processCode 不存在或为空")
        try:
            start = int(body["startTime"])
            end = int(body.get("endTime") or self.now_ms())
            offset = int(body.get("nextToken") or 0)
            size = int(body.get("maxResults") or MAX_RESULTS)
        except (KeyError, TypeError, ValueError):
            return _bad("InvalidParameter", "startTime 为必填项；startTime、endTime、nextToken、maxResults 须为数字")
        if not 1 <= size <= MAX_RESULTS:
            return _bad("InvalidParameter.MaxResults", f"maxResults 取值范围 1~{MAX_RESULTS}")
        users = set(body.get("userIds") or [])
        statuses = set(body.get("statuses") or [])
        matching = [i.id for i in self._ordered() if i.process_code == body["processCode"]
                    and start <= i.create_ms <= end and (not users or i.originator in users)
                    and (not statuses or i.status in statuses)]
        page = matching[offset:offset + size]
        result: dict[str, Any] = {"list": page}
        if offset + size < len(matching):
            result["nextToken"] = str(offset + size)
        return 200, {"success": True, "result": result}, {}

    def handle_get_instance(self, headers: dict[str, str], instance_id: str | None) -> Reply:
        self.count("processInstances:get")
        refused = self.gateway.check_new(headers)
        if refused is not None:
            return refused
        instance = self.instances.get(instance_id or "")
        if instance is None:
            return _bad("instanceNotExist", f"审批实例不存在: {instance_id}", 404)
        return 200, {"success": True, "result": instance.detail()}, {}

    def handle_create_instance(self, headers: dict[str, str], body: Any) -> Reply:
        self.count("processInstances:create")
        refused = self.gateway.check_new(headers)
        if refused is not None:
            return refused
        if not isinstance(body, dict) or body.get("processCode") not in TEMPLATES:
            return _bad("InvalidParameter.ProcessCode", "processCode 不存在或为空")
        template = TEMPLATES[body["processCode"]]
        if body.get("originatorUserId") not in {e[0] for e in EMPLOYEES}:
            return _bad("InvalidParameter.OriginatorUserId", "发起人 originatorUserId 不存在")
        values = body.get("formComponentValues")
        if not isinstance(values, list):
            return _bad("InvalidParameter.FormComponentValues", "formComponentValues 为必填项")
        known = dict(template.fields)
        form = dict.fromkeys(known, "")
        for item in values:
            if not isinstance(item, dict) or item.get("name") not in known:
                return _bad("InvalidParameter.FormComponentValues", f"表单中不存在控件: {item}")
            form[str(item["name"])] = str(item.get("value") or "")
        missing = [name for name in template.required if not form.get(name)]
        if missing:
            return _bad("InvalidParameter.FormComponentValues", f"必填控件未填写: {', '.join(missing)}")
        now = self.now_ms()
        instance = Instance(self.gen.instance_id(), template.code, "", str(body["originatorUserId"]), "RUNNING", "",
                            self.gen.business_id(now), now, None, form)
        name = next(e[1] for e in EMPLOYEES if e[0] == instance.originator)
        instance.title = f"{name}提交的{template.name}"
        self._task_serial += 1
        instance.tasks.append(Task(90_000_000_000 + self._task_serial, "manager0101", "RUNNING", "NONE", now))
        instance.records.append({"userId": instance.originator, "date": dt_text(now),
                                 "type": "START_PROCESS_INSTANCE", "result": "NONE", "remark": ""})
        self.instances[instance.id] = instance
        self.instance_event(instance.id, "start")
        if self.knobs.lose_create_answer_next > 0:
            self.knobs.lose_create_answer_next -= 1
            return 504, {"code": "GatewayTimeout", "message": "upstream timed out"}, {}
        return 200, {"instanceId": instance.id}, {}

    # -- to-dos (v1.0) ---------------------------------------------------------------------------

    def handle_create_todo(self, headers: dict[str, str], owner: str, body: Any) -> Reply:
        self.count("todo:create")
        refused = self.gateway.check_new(headers)
        if refused is not None:
            return refused
        unions = {union_id(e[0]) for e in EMPLOYEES}
        if owner not in unions:
            return _bad("invalidUnionId", f"unionId 不存在: {owner}（待办使用 unionId，不是 userId）")
        if not isinstance(body, dict) or not str(body.get("subject") or "").strip():
            return _bad("InvalidParameter.Subject", "subject 为必填项")
        strangers = [u for u in [*(body.get("executorIds") or []), *(body.get("participantIds") or [])]
                     if u not in unions]
        if strangers:
            return _bad("invalidUnionId", f"executorIds/participantIds 中的 unionId 不存在: {', '.join(strangers)}")
        now = self.now_ms()
        todo = {"id": "task" + secrets.token_hex(12), "subject": body["subject"],
                "description": body.get("description", ""), "startTime": now, "dueTime": body.get("dueTime"),
                "finishTime": None, "done": False, "executorIds": list(body.get("executorIds") or []),
                "participantIds": list(body.get("participantIds") or []), "detailUrl": body.get("detailUrl"),
                "source": "", "sourceId": body.get("sourceId"), "createdTime": now, "modifiedTime": now,
                "creatorId": owner, "modifierId": owner, "bizTag": "", "requestId": secrets.token_hex(8),
                "isOnlyShowExecutor": bool(body.get("isOnlyShowExecutor")), "priority": body.get("priority", 20)}
        self.todos.append(todo)
        if self.knobs.lose_create_answer_next > 0:
            self.knobs.lose_create_answer_next -= 1
            return 504, {"code": "GatewayTimeout", "message": "upstream timed out"}, {}
        return 200, dict(todo), {}

    def handle_find_todo(self, headers: dict[str, str], owner: str, source_id: str) -> Reply:
        self.count("todo:bySourceId")
        refused = self.gateway.check_new(headers)
        if refused is not None:
            return refused
        for todo in self.todos:
            if todo["creatorId"] == owner and todo["sourceId"] == source_id:
                return 200, dict(todo), {}
        return _bad("todoNotExist", f"待办不存在: sourceId {source_id}", 404)

    # -- work notifications (old) ----------------------------------------------------------------

    def handle_work_notification(self, query: dict[str, str], body: Any) -> Reply:
        self.count("corpconversation/asyncsend_v2")
        refused = self.gateway.check_old(query)
        if refused is not None:
            return refused
        if not isinstance(body, dict) or str(body.get("agent_id")) != str(self.account.agent_id):
            return _old_bad("agent_id 不正确")
        users = [u for u in str(body.get("userid_list") or "").split(",") if u]
        depts = [d for d in str(body.get("dept_id_list") or "").split(",") if d]
        if len(users) > USERS_PER_NOTIFICATION:
            return _old_bad(f"userid_list 最多 {USERS_PER_NOTIFICATION} 个")
        if not (users or depts or body.get("to_all_user")):
            return _old_bad("userid_list、dept_id_list、to_all_user 不能同时为空")
        msg = body.get("msg")
        if not isinstance(msg, dict) or not isinstance(msg.get(str(msg.get("msgtype"))), dict):
            return _old_bad("msg 格式不正确")
        day = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m-%d")
        content = json.dumps(msg, sort_keys=True, ensure_ascii=False)
        fresh = [u for u in users if (u, content, day) not in self.delivered]  # same content: once a day
        self.delivered.update((u, content, day) for u in users)
        task_id = 10_000_000 + len(self.work_notifications) + 1
        self.work_notifications.append({"task_id": task_id, "agent_id": body["agent_id"], "userid_list": users,
                                        "dept_id_list": depts, "to_all_user": bool(body.get("to_all_user")),
                                        "msg": msg, "delivered_to": fresh})
        return 200, {"errcode": 0, "errmsg": "ok", "task_id": task_id, "request_id": secrets.token_hex(8)}, {}

    # -- the custom robot ---------------------------------------------------------------------------

    def handle_robot(self, query: dict[str, str], body: Any) -> Reply:
        self.count("robot/send")
        a = self.account
        if query.get("access_token") != a.robot_access_token:
            return 200, {"errcode": 300005, "errmsg": "token is not exist"}, {}
        now = self.now_ms()
        timestamp = query.get("timestamp", "")
        if not timestamp.isdigit() or abs(now - int(timestamp)) > ROBOT_CLOCK_TOLERANCE_MS:
            return 200, {"errcode": 310000, "errmsg": "invalid timestamp"}, {}
        if query.get("sign") != robot_signature(a.robot_secret, int(timestamp)):
            return 200, {"errcode": 310000, "errmsg": "sign not match"}, {}
        if not isinstance(body, dict) or body.get("msgtype") not in ("text", "markdown", "link", "actionCard",
                                                                     "feedCard"):
            return 200, {"errcode": 40035, "errmsg": "缺少参数 json"}, {}
        content = body.get(str(body["msgtype"]))
        if not isinstance(content, dict) or (body["msgtype"] == "text" and not content.get("content")) or (
                body["msgtype"] == "markdown" and not (content.get("title") and content.get("text"))):
            return 200, {"errcode": 40035, "errmsg": f"缺少参数 {body['msgtype']}"}, {}
        text = json.dumps(content, ensure_ascii=False)
        if self.knobs.robot_keywords and not any(k in text for k in self.knobs.robot_keywords):
            return 200, {"errcode": 310000, "errmsg": "keywords not in content"}, {}
        while self._robot_sent and self._robot_sent[0] <= self.clock() - 60:
            self._robot_sent.popleft()
        if len(self._robot_sent) >= self.knobs.robot_per_minute:
            return 200, {"errcode": 660026, "errmsg": "send too fast, exceed 20 times per minute"}, {}
        self._robot_sent.append(self.clock())
        self.robot_messages.append(dict(body))
        return 200, {"errcode": 0, "errmsg": "ok"}, {}
