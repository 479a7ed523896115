"""A flow's notify step through the mail connector: a templated Chinese notice reaches a real SMTP server once."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.connectors.mail.servers import SmtpServer, start_smtp
from tests.flows.helpers import run_flows, start_cursor, store_order, write_flow

HUB_YAML = """
connectors:
  mail-support:
    type: mail
    settings:
      smtp_host: 127.0.0.1
      smtp_port: {port}
      smtp_security: none
      from_address: "客服中心 <support@hub-test.cn>"
      save_sent: false
"""

NOTICE_FLOW = """
    name: order-notice
    trigger: {event: order.confirmed}
    steps:
      - id: tell_buyer
        kind: notify
        connector: mail-support
        action: notice
        to: [buyer@kehu.cn]
        template: notice
        lang: zh
        data:
          title: ='订单 ' + record.number + ' 已确认'
          body: 我们已开始备货。
          fields: {订单号: =record.number, 金额: =record.total}
"""


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp()
    yield server
    server.stop()


def test_a_notice_mail_goes_out_once_in_chinese(db_engine: Engine, tmp_path: Path, smtp: SmtpServer) -> None:
    (tmp_path / "hub.yaml").write_text(HUB_YAML.format(port=smtp.port), encoding="utf-8")
    write_flow(tmp_path, "order-notice", NOTICE_FLOW)
    start_cursor(db_engine, tmp_path)
    store_order(db_engine, "SO-8", total="1280.00")

    [run] = run_flows(db_engine, tmp_path)
    run_flows(db_engine, tmp_path)  # nothing new: nothing sent again

    assert run["status"] == "succeeded", run["error"]
    [received] = smtp.handler.received
    assert received.rcpt_tos == ["buyer@kehu.cn"]
    message = email.message_from_bytes(received.data)
    assert str(make_header(decode_header(message["Subject"]))) == "订单 SO-8 已确认"
    text = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8") \
        if not message.is_multipart() else message.get_payload(0).get_payload(decode=True).decode("utf-8")
    assert "订单号：SO-8" in text
    assert "金额：1280.00" in text
    assert message["Auto-Submitted"] == "auto-generated"  # a notice: auto-responders stay quiet
    assert run["outputs"]["tell_buyer"]["external_id"] == message["Message-ID"]
