"""Pushes against the simulator: robot text and markdown (signed), work notifications (split by 100),
to-dos (sourceId), approvals started; each idempotent on its key where DingTalk allows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from connectors.dingtalk import DingTalkConnector
from connectors.dingtalk.actions import PushRecordError
from connectors.dingtalk.simulator import CONTRACT_CODE, REFERENCE_FIELD, DingTalkSimulator, union_id
from hub.db.types import utcnow
from hub.errors import ConfigError, ConflictError
from hub.sdk import ConnectorContext, PushResult, VendorError, VendorRecordError
from tests.connectors.dingtalk.conftest import settings_for

Connect = Callable[..., DingTalkConnector]
TEXT = {"msgtype": "text", "text": {"content": "合同 HT-2024-0001 已签署"}}
MARKDOWN = {"msgtype": "markdown", "markdown": {"title": "合同已签署", "text": "#### 合同已签署\n金额：¥120,000.00"}}
SIGNED = {"contract": {"number": "HT-2024-0001", "amount": "120000.00", "signed_at": "2024-05-06T10:00:00+08:00"},
          "customer": {"name": "苏州恒信精密机械有限公司"}, "project": None}


def push(dt: DingTalkConnector, action: str, record: dict[str, Any], key: str = "key-1") -> PushResult:
    return asyncio.run(dt.push(action, record, idempotency_key=key))


# -- robot -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("message", [TEXT, MARKDOWN], ids=["text", "markdown"])
def test_a_robot_message_is_signed_and_accepted(sim: DingTalkSimulator, connect: Connect,
                                                message: dict[str, Any]) -> None:
    result = push(connect(), "robot", message)

    assert result.created
    assert sim.robot_messages == [message]  # the simulator checked timestamp and sign as DingTalk does


@pytest.mark.parametrize(("lang", "title"), [("zh", "合同已签署：HT-2024-0001"),
                                            ("en", "Contract signed: HT-2024-0001")])
def test_a_robot_markdown_message_can_come_from_a_template(sim: DingTalkSimulator, connect: Connect, lang: str,
                                                            title: str) -> None:
    push(connect(), "robot", {"msgtype": "markdown", "template": "contract-signed", "lang": lang, "data": SIGNED})

    sent = sim.robot_messages[0]["markdown"]
    assert sent["title"] == title
    assert "苏州恒信精密机械有限公司" in sent["text"]
    assert "120000.00" in sent["text"]


def test_a_robot_message_pushed_again_with_its_key_is_not_sent_twice(sim: DingTalkSimulator,
                                                                      connect: Connect) -> None:
    dt = connect()
    first, second = push(dt, "robot", TEXT), push(dt, "robot", TEXT)

    assert (first.created, second.created, first.external_id == second.external_id) == (True, False, True)
    assert len(sim.robot_messages) == 1


def test_a_wrong_robot_secret_is_a_clear_error(connect: Connect) -> None:
    with pytest.raises(VendorError, match="加签"):
        push(connect(robot_secret="SECnot-the-robots-secret"), "robot", TEXT)


def test_a_clock_an_hour_off_is_refused_as_dingtalk_does(sim: DingTalkSimulator) -> None:
    context = ConnectorContext("dt", "dingtalk", transport=httpx.ASGITransport(app=sim.app),
                               clock=lambda: utcnow() + timedelta(hours=1, minutes=5))
    dt = DingTalkConnector(settings_for(sim), context)

    with pytest.raises(VendorError, match="clock"):
        push(dt, "robot", TEXT)


def test_a_message_without_the_robots_keyword_is_refused_as_a_record(sim: DingTalkSimulator,
                                                                     connect: Connect) -> None:
    sim.knobs.robot_keywords = ["通知"]

    with pytest.raises(VendorRecordError, match="keyword"):
        push(connect(), "robot", TEXT)
    push(connect(), "robot", {"msgtype": "text", "text": {"content": "通知：合同已签署"}}, key="key-2")
    assert len(sim.robot_messages) == 1


def test_a_robot_without_settings_is_a_configuration_error(connect: Connect) -> None:
    with pytest.raises(ConfigError, match="robot_access_token"):
        push(connect(robot_access_token=None, robot_secret=None), "robot", TEXT)


# -- work notification -----------------------------------------------------------------------------------


def test_a_work_notification_to_230_users_is_sent_in_calls_of_at_most_100(sim: DingTalkSimulator,
                                                                           connect: Connect) -> None:
    users = [f"user{i:03d}" for i in range(230)]

    result = push(connect(), "work_notification", {"userid_list": users, **TEXT})

    sent = sim.work_notifications
    assert [len(n["userid_list"]) for n in sent] == [100, 100, 30]
    assert [u for n in sent for u in n["userid_list"]] == users
    assert all(n["msg"] == TEXT and n["agent_id"] == sim.account.agent_id for n in sent)
    assert result.external_id == ",".join(str(n["task_id"]) for n in sent)


def test_a_work_notification_pushed_again_sends_nothing_more(sim: DingTalkSimulator, connect: Connect) -> None:
    dt = connect()
    record = {"userid_list": "manager0101,sales0102", "dept_id_list": [101], "msg": MARKDOWN}

    first, second = push(dt, "work_notification", record), push(dt, "work_notification", record)

    assert (first.created, second.created, second.external_id) == (True, False, first.external_id)
    assert len(sim.work_notifications) == 1
    assert sim.work_notifications[0]["dept_id_list"] == ["101"]


def test_a_work_notification_without_recipients_is_refused_before_calling(sim: DingTalkSimulator,
                                                                          connect: Connect) -> None:
    with pytest.raises(PushRecordError, match="userid_list"):
        push(connect(), "work_notification", TEXT)
    assert sim.calls == 0


# -- to-do ----------------------------------------------------------------------------------------------------


def todo_record() -> dict[str, Any]:
    owner = union_id("sales0102")
    return {"unionId": owner, "subject": "跟进合同 HT-2024-0001 回款", "description": "首付款 30%",
            "executorIds": [owner], "participantIds": [union_id("finance0401")], "priority": 20,
            "detailUrl": {"appUrl": "https://hub.example.cn/contracts/1", "pcUrl": "https://hub.example.cn/contracts/1"}}


def test_a_todo_is_created_with_the_key_as_source_id_and_found_again(sim: DingTalkSimulator,
                                                                     connect: Connect) -> None:
    dt = connect()
    first, second = push(dt, "todo", todo_record(), "flow-7:step-2"), push(dt, "todo", todo_record(), "flow-7:step-2")

    assert (first.created, second.created, second.external_id) == (True, False, first.external_id)
    assert [(t["sourceId"], t["subject"]) for t in sim.todos] == [("flow-7:step-2", "跟进合同 HT-2024-0001 回款")]


def test_a_new_connector_finds_the_todo_its_predecessor_created(sim: DingTalkSimulator, connect: Connect) -> None:
    push(connect(), "todo", todo_record())

    again = push(connect(), "todo", todo_record())  # another process: nothing remembered, DingTalk is asked

    assert not again.created
    assert len(sim.todos) == 1


def test_a_todo_whose_answer_was_lost_is_looked_up_not_created_twice(sim: DingTalkSimulator,
                                                                     connect: Connect) -> None:
    sim.knobs.lose_create_answer_next = 1

    result = push(connect(), "todo", todo_record())

    assert result.created
    assert len(sim.todos) == 1


def test_a_todo_needs_a_subject_and_a_union_id(connect: Connect) -> None:
    with pytest.raises(PushRecordError, match="subject"):
        push(connect(), "todo", {**todo_record(), "subject": " "})
    with pytest.raises(PushRecordError, match="unionId"):
        push(connect(), "todo", {"subject": "x"})


# -- approval -------------------------------------------------------------------------------------------------


APPROVAL = {"originatorUserId": "sales0102", "deptId": 101,
            "form": {"合同编号": "HT-2024-0100", "合同名称": "设备维保服务", "客户名称": "无锡宏达电子科技有限公司",
                     "合同金额": "56000.00"}}


def test_an_approval_is_started_with_its_form_and_the_hubs_reference(sim: DingTalkSimulator,
                                                                      connect: Connect) -> None:
    result = push(connect(), "approval", APPROVAL, "flow-9:step-1")

    instance = sim.instances[result.external_id]
    assert (instance.process_code, instance.originator, instance.status) == (CONTRACT_CODE, "sales0102", "RUNNING")
    assert instance.form["合同金额"] == "56000.00"
    assert instance.form[REFERENCE_FIELD] == "hub:flow-9:step-1"
    assert sim.events[-1]["type"] == "start"


def test_an_approval_pushed_again_from_another_process_is_found_not_started_twice(sim: DingTalkSimulator,
                                                                                  connect: Connect) -> None:
    first = push(connect(), "approval", APPROVAL)
    before = len(sim.instances)

    again = push(connect(), "approval", APPROVAL)

    assert (again.external_id, again.created, len(sim.instances)) == (first.external_id, False, before)


def test_an_approval_whose_answer_was_lost_is_found_on_the_next_try(sim: DingTalkSimulator,
                                                                    connect: Connect) -> None:
    before = len(sim.instances)
    sim.knobs.lose_create_answer_next = 1

    result = push(connect(), "approval", APPROVAL)

    assert len(sim.instances) == before + 1
    assert result.external_id in sim.instances


def test_an_approval_the_template_refuses_is_a_vendor_error(connect: Connect) -> None:
    with pytest.raises(VendorError, match="必填"):
        push(connect(), "approval", {"originatorUserId": "sales0102", "form": {"合同名称": "缺少必填项"}})


def test_an_unknown_action_is_refused(connect: Connect) -> None:
    with pytest.raises(ConflictError, match="no push action"):
        push(connect(), "fax", TEXT)
