"""notify steps: the same parts become the record each connector's message action takes."""

from __future__ import annotations

import pytest

from hub.flows.steps import message_record

DATA = {"number": "HT-1"}


@pytest.mark.parametrize(("kind", "action", "expected"), [
    ("wecom", "message", {"touser": "zhao1|gao2", "msgtype": "textcard", "template": "contract-signed", "lang": "en",
                          "data": DATA}),
    ("dingtalk", "work_notification", {"msgtype": "markdown", "template": "contract-signed", "lang": "en",
                                       "data": DATA, "userid_list": ["zhao1", "gao2"]}),
    ("dingtalk", "robot", {"msgtype": "markdown", "template": "contract-signed", "lang": "en", "data": DATA}),
    ("mail", "notice", {"to": ["zhao1", "gao2"], "template": "contract-signed", "language": "en", "variables": DATA}),
])
def test_a_templated_notice_fits_each_connector(kind: str, action: str, expected: dict[str, object]) -> None:
    record = message_record(kind, action, to=["zhao1", "gao2"], template="contract-signed", lang="en", data=DATA,
                            extra={})

    assert record == expected


def test_a_to_do_takes_its_executors_and_the_message_fields() -> None:
    record = message_record("dingtalk", "todo", to="uNabc", template=None, lang=None, data={},
                            extra={"unionId": "uNcreator", "subject": "工单临期"})

    assert record == {"executorIds": ["uNabc"], "unionId": "uNcreator", "subject": "工单临期"}


def test_without_a_template_the_message_says_what_it_sends() -> None:
    record = message_record("wecom", "message", to="zhao1", template=None, lang=None, data={},
                            extra={"msgtype": "text", "text": {"content": "请处理"}})

    assert record == {"touser": "zhao1", "msgtype": "text", "text": {"content": "请处理"}}
