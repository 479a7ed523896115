"""The SDK's conformance kit, against the simulator."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from connectors.wecom import WeComConnector
from connectors.wecom.simulator import CONTRACT_TEMPLATE
from hub.sdk import ConnectorContext
from hub.sdk.testing import ConnectorConformance
from tests.connectors.wecom.conftest import settings_for, small_simulator


class TestWeComConformance(ConnectorConformance):
    connector_class = WeComConnector
    push_samples: ClassVar[dict[str, dict[str, Any]]] = {
        "message": {"touser": "@all", "msgtype": "markdown", "markdown": {"content": "### 一致性测试\n> conformance"}},
        "approval": {"template_id": CONTRACT_TEMPLATE, "creator_userid": "xu1", "controls": {
            "合同编号": "HT-CONF-1", "客户名称": "一致性测试有限公司", "合同金额": "1.00", "合同类型": "服务合同"}},
    }

    def create(self) -> WeComConnector:
        sim = small_simulator()
        assert sim.staff[0]["userid"] == "xu1"  # the approval sample's applicant
        context = ConnectorContext("wecom-main", "wecom", transport=httpx.ASGITransport(app=sim.app))
        return WeComConnector(settings_for(sim, page_size=8, approvals_per_call=3), context)
