"""The SDK's conformance kit, against the simulator, in both auth modes."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from connectors.erp.kingdee import KingdeeConnector
from hub.sdk import ConnectorContext
from hub.sdk.testing import ConnectorConformance
from tests.connectors.kingdee.conftest import settings_for, small_simulator

MO = {"FBillType": {"FNumber": "SCDD01_SYS"},
      "FTreeEntity": [{"FMaterialId": {"FNumber": "01.01.0002"}, "FQty": 3}]}
AR = {"FDATE": "2026-11-25", "FCUSTOMERID": {"FNumber": "CUST00001"}, "FCURRENCYID": {"FNumber": "PRE001"},
      "FEntityDetail": [{"FPriceQty": 1, "FTaxPrice": 30000.0}]}


class TestKingdeeConformance(ConnectorConformance):
    connector_class = KingdeeConnector
    push_samples: ClassVar[dict[str, dict[str, Any]]] = {
        "PRD_MO": MO, "BD_Customer": {"FName": "一致性测试有限公司"}, "AR_receivable": AR}
    settings: ClassVar[dict[str, Any]] = {"page_size": 40}

    def create(self) -> KingdeeConnector:
        sim = small_simulator()
        context = ConnectorContext("kd", "kingdee", transport=httpx.ASGITransport(app=sim.app))
        return KingdeeConnector(settings_for(sim, **self.settings), context)


class TestKingdeeSignedConformance(TestKingdeeConformance):
    settings: ClassVar[dict[str, Any]] = {"page_size": 40, "auth": "signature", "password": None}
