"""The Yonyou connector passes the SDK's conformance kit against its simulator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

import httpx

from connectors.erp.yonyou import YonyouConnector
from connectors.erp.yonyou.simulator import SimulatorState, create_app
from hub.sdk import ConnectorContext
from hub.sdk.testing import ConnectorConformance
from tests.connectors.yonyou.conftest import Sleeps, settings


class TestYonyouConformance(ConnectorConformance):
    connector_class = YonyouConnector
    push_samples: ClassVar = {"merchant": {"name": {"zh_CN": "深圳鼎盛智能装备有限公司"},
                                           "address": "广东省深圳市南山区科技南十二路 18 号"}}

    def create(self) -> YonyouConnector:
        context = ConnectorContext("yonyou-main", "yonyou", clock=lambda: datetime.now(UTC),
                                   transport=httpx.ASGITransport(app=create_app(SimulatorState())))
        return YonyouConnector(settings(page_size=20), context, sleep=Sleeps())
