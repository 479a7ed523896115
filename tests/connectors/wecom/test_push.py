"""Pushes against the simulator: application messages of each kind, and approvals started exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from connectors.wecom import WeComConnector
from connectors.wecom.simulator import CONTRACT_TEMPLATE, WeComSimulator
from hub.errors import ConfigError, ConflictError, RecordError, RetryableError
from hub.sdk import PushResult, VendorRecordError

Connect = Callable[..., WeComConnector]
CONTRACT = {"number": "HT-2024-0042", "amount": "128000.00", "customer": "苏州恒瑞精密机械有限公司",
            "signed_at": "2024-05-01 10:00", "url": "https://hub.example.cn/contracts/con_1"}


def push(connector: WeComConnector, action: str, record: dict[str, Any], key: str = "key-1") -> PushResult:
    return asyncio.run(connector.push(action, record, idempotency_key=key))


def _user(sim: WeComSimulator, index: int = 0) -> str:
    return str(sim.staff[index]["userid"])


@pytest.mark.parametrize(("msgtype", "content"), [
    pytest.param("text", {"content": "订单 SO-1 已确认"}, id="text"),
    pytest.param("markdown", {"content": "### 订单已确认\n> SO-1"}, id="markdown"),
    pytest.param("textcard", {"title": "订单已确认", "description": "<div class=\"normal\">SO-1</div>",
                              "url": "https://hub.example.cn/orders/1", "btntxt": "查看"}, id="textcard"),
])
def test_each_message_kind_is_sent_with_the_agent_and_duplicate_check(
    msgtype: str, content: dict[str, Any], connect: Connect, sim: WeComSimulator
) -> None:
    result = push(connect(), "message", {"touser": [_user(sim), _user(sim, 1)], "msgtype": msgtype, msgtype: content})

    [sent] = sim.messages
    assert (result.external_id, result.created) == (sent.msgid, True)
    assert sent.body[msgtype] == content
    assert sent.body["touser"] == f"{_user(sim)}|{_user(sim, 1)}"
    assert (sent.body["agentid"], sent.body["enable_duplicate_check"], sent.body["duplicate_check_interval"]) == (
        sim.account.agent_id, 1, 1800)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("msgtype", ["text", "markdown", "textcard"])
def test_a_template_renders_the_message_in_the_language_asked(
    msgtype: str, lang: str, connect: Connect, sim: WeComSimulator
) -> None:
    push(connect(), "message", {"touser": _user(sim), "msgtype": msgtype, "template": "contract-signed",
                                "lang": lang, "data": CONTRACT})

    body = sim.messages[0].body[msgtype]
    text = body.get("content") or body["title"] + body["description"]
    assert "HT-2024-0042" in text
    assert ("合同" in text) == (lang == "zh")
    if msgtype == "textcard":
        assert body["url"] == CONTRACT["url"]


def test_textcard_descriptions_escape_the_data(connect: Connect, sim: WeComSimulator) -> None:
    data = {**CONTRACT, "customer": "<script>x</script>"}

    push(connect(), "message", {"touser": _user(sim), "msgtype": "textcard", "template": "contract-signed",
                                "data": data})

    assert "&lt;script&gt;" in sim.messages[0].body["textcard"]["description"]


def test_a_template_missing_a_value_says_which(connect: Connect, sim: WeComSimulator) -> None:
    with pytest.raises(RecordError, match="'number' is undefined"):
        push(connect(), "message", {"touser": _user(sim), "template": "contract-signed", "data": {}})
    assert sim.messages == []


def test_invalid_recipients_among_valid_ones_are_reported(connect: Connect, sim: WeComSimulator) -> None:
    result = push(connect(), "message", {"touser": f"{_user(sim)}|nobody", "text": {"content": "hi"}})

    assert result.raw == {"msgid": result.external_id, "invaliduser": "nobody"}
    assert sim.messages[0].recipients == [_user(sim)]


def test_a_message_for_nobody_valid_is_refused_as_a_record(connect: Connect, sim: WeComSimulator) -> None:
    with pytest.raises(VendorRecordError, match="81013"):
        push(connect(), "message", {"touser": "nobody", "text": {"content": "hi"}})


@pytest.mark.parametrize(("record", "says"), [
    pytest.param({"text": {"content": "hi"}}, "no recipient", id="no-recipient"),
    pytest.param({"touser": "u", "msgtype": "news"}, "msgtype 'news'", id="unknown-kind"),
    pytest.param({"touser": "u", "msgtype": "markdown", "markdown": {"content": "长" * 700}}, "2048", id="too-long"),
    pytest.param({"touser": "u", "msgtype": "text"}, "text.content", id="no-content"),
])
def test_a_bad_message_is_refused_before_sending(record: dict[str, Any], says: str, connect: Connect,
                                                 sim: WeComSimulator) -> None:
    with pytest.raises(RecordError, match=says):
        push(connect(), "message", record)
    assert sim.calls["message/send"] == 0


def test_messages_need_the_agent_id(connect: Connect, sim: WeComSimulator) -> None:
    with pytest.raises(ConfigError, match="agent_id"):
        push(connect(agent_id=None), "message", {"touser": _user(sim), "text": {"content": "hi"}})


def test_the_same_key_twice_sends_once(connect: Connect, sim: WeComSimulator) -> None:
    connector = connect()
    message = {"touser": _user(sim), "text": {"content": "hi"}}

    first, second = push(connector, "message", message), push(connector, "message", message)

    assert (second.external_id, second.created) == (first.external_id, False)
    assert len(sim.messages) == 1


def test_another_worker_repeating_the_message_is_dropped_by_wecoms_duplicate_check(
    connect: Connect, sim: WeComSimulator
) -> None:
    message = {"touser": _user(sim), "text": {"content": "hi"}}

    first = push(connect(), "message", message)
    again = push(connect(), "message", message)  # a second process: nothing remembered locally

    assert again.external_id == first.external_id
    assert len(sim.messages) == 1


# -- approvals -----------------------------------------------------------------------------------

START = {"template_id": CONTRACT_TEMPLATE, "controls": {
    "合同编号": "HT-2024-0042", "客户名称": "苏州恒瑞精密机械有限公司", "合同金额": "128000.00",
    "签订日期": "2024-05-01", "合同类型": "销售合同"}, "summary": ["合同 HT-2024-0042", "金额 128000.00"]}


def _start(sim: WeComSimulator, **extra: Any) -> dict[str, Any]:
    return {**START, "creator_userid": _user(sim), **extra}


def test_starting_an_approval_returns_its_sp_no_with_the_form_filled(connect: Connect, sim: WeComSimulator) -> None:
    result = push(connect(), "approval", _start(sim))

    info = sim.sp[result.external_id]
    values = {c["id"]: c["value"] for c in info["apply_data"]["contents"]}
    assert result.created
    assert (info["sp_status"], info["applyer"]["userid"]) == (1, _user(sim))
    assert values["Money-1570000000003"] == {"new_money": "128000.00"}
    assert values["Selector-1570000000005"]["selector"]["options"][0]["key"] == "option-sale"
    assert values["Text-1570000000007"] == {"text": "hub:key-1"}


def test_a_retried_start_in_another_worker_finds_the_approval_instead_of_starting_another(
    connect: Connect, sim: WeComSimulator
) -> None:
    before = len(sim.sp)

    first = push(connect(), "approval", _start(sim))
    again = push(connect(), "approval", _start(sim))

    assert (again.external_id, again.created) == (first.external_id, False)
    assert len(sim.sp) == before + 1


class LoseFirstAnswer(httpx.AsyncBaseTransport):
    """WeCom starts the approval, but its answer is lost on the way back (a timeout)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, path: str) -> None:
        self.inner, self.path, self.lost = inner, path, False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith(self.path) and not self.lost:
            self.lost = True
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


def test_a_lost_answer_is_looked_up_before_trying_again(connect: Connect, sim: WeComSimulator) -> None:
    before = len(sim.sp)
    transport = LoseFirstAnswer(httpx.ASGITransport(app=sim.app), "oa/applyevent")

    result = push(connect(transport=transport), "approval", _start(sim))

    assert transport.lost
    assert len(sim.sp) == before + 1
    assert result.created  # this push did start it
    assert sim.sp[result.external_id]["applyer"]["userid"] == _user(sim)


def test_without_a_reference_control_a_lost_answer_is_reported_not_retried(connect: Connect,
                                                                           sim: WeComSimulator) -> None:
    before = len(sim.sp)
    transport = LoseFirstAnswer(httpx.ASGITransport(app=sim.app), "oa/applyevent")

    with pytest.raises(RetryableError):
        push(connect(transport=transport, approval_reference_control=None), "approval", _start(sim))
    assert len(sim.sp) == before + 1


def test_a_start_the_template_refuses_is_a_record_error(connect: Connect, sim: WeComSimulator) -> None:
    record = _start(sim)
    del record["controls"]["合同金额"]  # required by the template

    with pytest.raises(VendorRecordError, match="Money-1570000000003"):
        push(connect(), "approval", record)


def test_an_unknown_action_is_a_conflict(connect: Connect) -> None:
    with pytest.raises(ConflictError, match="no push action 'fax'"):
        push(connect(), "fax", {})
