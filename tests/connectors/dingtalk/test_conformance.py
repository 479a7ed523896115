"""The SDK's conformance kit, against the simulator."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from connectors.dingtalk import DingTalkConnector
from connectors.dingtalk.simulator import union_id
from hub.sdk import ConnectorContext
from hub.sdk.testing import ConnectorConformance
from tests.connectors.dingtalk.conftest import settings_for, small_simulator

OWNER = union_id("manager0101")


class TestDingTalkConformance(ConnectorConformance):
    connector_class = DingTalkConnector
    push_samples: ClassVar[dict[str, dict[str, Any]]] = {
        "robot": {"msgtype": "text", "text": {"content": "一致性测试"}},
        "work_notification": {"userid_list": ["manager0101"], "msgtype": "text", "text": {"content": "一致性测试"}},
        "todo": {"unionId": OWNER, "subject": "一致性测试待办", "executorIds": [OWNER]},
        "approval": {"originatorUserId": "sales0201",
                     "form": {"合同编号": "HT-TEST-0001", "客户名称": "一致性测试有限公司", "合同金额": "1.00"}},
    }

    def create(self) -> DingTalkConnector:
        sim = small_simulator()
        context = ConnectorContext("dt", "dingtalk", transport=httpx.ASGITransport(app=sim.app))
        return DingTalkConnector(settings_for(sim, page_size=10), context)
