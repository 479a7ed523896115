"""A workspace wired to the Kingdee, DingTalk and WeCom simulators (in-process), for the shipped flows."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import Engine

from connectors.dingtalk.simulator import DingTalkSimulator, union_id
from connectors.erp.kingdee.simulator import KingdeeSimulator
from connectors.wecom.simulator import CONTRACT_TEMPLATE, WeComSimulator
from hub.db.types import utcnow
from hub.flows.registry import load_flows
from hub.flows.trigger import trigger_tick
from hub.security.secrets import SecretBox
from hub.sync.engine import SyncOutcome, SyncRequest, run_sync
from hub.workspace.loader import load_workspace
from webhooks.outbound.config_sync import sync_subscriptions

SHIPPED_FLOWS = Path(__file__).resolve().parents[2] / "hub" / "flows" / "shipped"

HUB_YAML = """
connectors:
  kingdee-main:
    type: kingdee
    settings:
      base_url: http://kingdee.test/k3cloud/
      acct_id: "{kd.acct_id}"
      username: {kd.username}
      password: ${{KD_PASSWORD}}
      page_size: 100
    entities:
      customer: {{mapping: kingdee-customer}}
      order: {{mapping: kingdee-sales-order}}
      production_order: {{mapping: kingdee-production-order}}
  dingtalk-main:
    type: dingtalk
    settings:
      base_url: http://dingtalk.test
      base_url_old: http://dingtalk.test
      app_key: {dt.app_key}
      app_secret: ${{DT_APP_SECRET}}
      agent_id: {dt.agent_id}
  wecom-main:
    type: wecom
    settings:
      base_url: http://wecom.test/cgi-bin/
      corp_id: {wc.corp_id}
      corp_secret: ${{WC_CORP_SECRET}}
      agent_id: {wc.agent_id}
      approval_templates: [{template}]
      max_calls_per_second: null
    entities:
      contract: {{mapping: wecom-contract}}
subscriptions:
  project-system:
    url: {project_url}
    events: []          # only the flow's webhook step sends here
"""


class RoutingTransport(httpx.AsyncBaseTransport):
    """Sends each request to the simulator its host names."""

    def __init__(self, routes: dict[str, Any]) -> None:
        self.routes = {host: httpx.ASGITransport(app=app) for host, app in routes.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.routes[request.url.host].handle_async_request(request)


@dataclass
class Systems:
    kingdee: KingdeeSimulator
    dingtalk: DingTalkSimulator
    wecom: WeComSimulator
    root: Path
    engine: Engine

    @property
    def transport(self) -> RoutingTransport:
        return RoutingTransport({"kingdee.test": self.kingdee.app, "dingtalk.test": self.dingtalk.app,
                                 "wecom.test": self.wecom.app})

    def sync(self, connector: str, entity: str, *, full: bool = False) -> SyncOutcome:
        workspace = load_workspace(self.root)
        return asyncio.run(run_sync(self.engine, workspace, SyncRequest(connector, entity, full=full),
                                    transport=self.transport))

    def sync_subscriptions(self) -> None:
        """hub.yaml's subscriptions into the database (what the dispatcher does when it starts)."""
        with self.engine.begin() as conn:
            sync_subscriptions(conn, SecretBox(SecretBox.generate_key()), load_workspace(self.root).config,
                               now=utcnow(), check=lambda url: None)

    def start_flows(self) -> None:
        """Flows act on what happens from now on (the trigger's cursor starts at the newest event)."""
        with self.engine.begin() as conn:
            trigger_tick(conn, load_flows(self.root))


def systems(root: Path, engine: Engine, *, project_url: str = "http://127.0.0.1:9/projects",
            flows: tuple[str, ...] = ()) -> Systems:
    kingdee = KingdeeSimulator(3, customers=20, orders=30, production_orders=0)
    dingtalk = DingTalkSimulator(3, contracts=2, leaves=0)
    wecom = WeComSimulator(3, employees=4, contacts=5, approvals=2)
    root.mkdir(parents=True, exist_ok=True)
    (root / "hub.yaml").write_text(HUB_YAML.format(kd=kingdee.account, dt=dingtalk.account, wc=wecom.account,
                                                   template=CONTRACT_TEMPLATE, project_url=project_url),
                                   encoding="utf-8")
    (root / ".env").write_text(f"KD_PASSWORD={kingdee.account.password}\nDT_APP_SECRET={dingtalk.account.app_secret}\n"
                               f"WC_CORP_SECRET={wecom.account.corp_secret}\n", encoding="utf-8")
    (root / "flows").mkdir(exist_ok=True)
    staff = [e["userid"] for e in wecom.staff]
    people = {"delivery_team": staff[:2], "team_lead": staff[2:3],  # WeCom refuses users it does not know
              "workshop_manager": ["manager0101"], "todo_creator": union_id("manager0101"),  # DingTalk's staff
              "union_ids": {"李娜": union_id("sales0201")}}
    for name in flows:
        data = yaml.safe_load((SHIPPED_FLOWS / f"{name}.yaml").read_text(encoding="utf-8"))
        data["vars"] = {**data.get("vars", {}), **{k: v for k, v in people.items() if k in data.get("vars", {})}}
        (root / "flows" / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                                     encoding="utf-8")
    return Systems(kingdee, dingtalk, wecom, root, engine)
