"""A hub workspace with one ``type: dingtalk`` connector pointed at the simulator (secrets in .env)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from connectors.dingtalk.simulator import CONTRACT_CODE, DingTalkSimulator
from hub.events.outbox import list_events
from hub.store import find_by_ref
from tests.connectors.dingtalk.conftest import SIM_URL

CONNECTOR = "dingtalk-main"

HUB_YAML = """\
connectors:
  dingtalk-main:
    type: dingtalk
    settings:
      base_url: {url}
      base_url_old: {url}
      app_key: {app_key}
      app_secret: ${{DT_APP_SECRET}}
      agent_id: {agent_id}
      callback_token: ${{DT_CALLBACK_TOKEN}}
      aes_key: ${{DT_AES_KEY}}
      process_codes: [{code}]
    entities:
      contract: {{mapping: dingtalk-contract}}
"""


def write_workspace(root: Path, sim: DingTalkSimulator) -> Path:
    a = sim.account
    root.mkdir(parents=True, exist_ok=True)
    (root / "hub.yaml").write_text(HUB_YAML.format(url=SIM_URL, app_key=a.app_key, agent_id=a.agent_id,
                                                   code=CONTRACT_CODE), encoding="utf-8")
    env = {"DT_APP_SECRET": a.app_secret, "DT_CALLBACK_TOKEN": a.callback_token, "DT_AES_KEY": a.aes_key}
    (root / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")
    return root


def contract(engine: Engine, instance_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return find_by_ref(conn, "contract", "dingtalk", instance_id, "process_instance")


def events(engine: Engine, *types: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return list_events(conn, types=types, limit=10_000)
