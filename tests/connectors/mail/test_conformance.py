"""The connector SDK's conformance kit, run against the real servers (Dovecot and aiosmtpd)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest

from connectors.mail import MailConnector, MailSettings
from hub.sdk import ConnectorContext
from hub.sdk.testing import ConnectorConformance
from tests.connectors.mail.conftest import fixture
from tests.connectors.mail.servers import Dovecot, MailUser, start_smtp

MESSAGES = ["utf8_qp.eml", "gb2312_declared_gbk.eml", "gbk_8bit.eml", "gb18030_4byte.eml", "big5.eml",
            "html_only.eml", "attachments.eml", "thread_1.eml"]


@pytest.mark.slow
class TestMailConformance(ConnectorConformance):
    connector_class = MailConnector
    push_samples: ClassVar[dict[str, dict[str, Any]]] = {
        "reply": {"to": "zhang.wei@huadong-jixie.cn", "subject": "A-100 机床开机报警", "body": "工程师已出发。",
                  "message_ids": ["<thread-root-001@huadong-jixie.cn>"]},
        "notice": {"to": ["workshop@huadong-jixie.cn"], "variables": {"title": "生产订单已创建", "body": "MO-0042"}},
    }
    max_pages = 3
    settings: MailSettings

    @pytest.fixture(autouse=True)
    def _servers(self, dovecot: Dovecot, mail_user: MailUser,
                 mail_settings: Callable[..., MailSettings]) -> Iterator[None]:
        dovecot.append(mail_user, [fixture(name) for name in MESSAGES])
        smtp = start_smtp()
        self.settings = mail_settings(page_size=2, after="none", smtp_host="127.0.0.1", smtp_port=smtp.port,
                                      smtp_security="none")
        yield
        smtp.stop()

    def create(self) -> MailConnector:
        return MailConnector(self.settings, ConnectorContext("support", "mail"))
