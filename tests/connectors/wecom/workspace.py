"""A workspace (hub.yaml + .env) with one wecom connector pointed at a simulator."""

from __future__ import annotations

from pathlib import Path

from connectors.wecom.simulator import CONTRACT_TEMPLATE, WeComSimulator

CONNECTOR = "wecom-main"

HUB_YAML = """\
connectors:
  wecom-main:
    type: wecom
    settings:
      base_url: http://wecom.test/cgi-bin/
      corp_id: {corp_id}
      corp_secret: ${{WECOM_SECRET}}
      agent_id: {agent_id}
      callback_token: ${{WECOM_CALLBACK_TOKEN}}
      encoding_aes_key: ${{WECOM_AES_KEY}}
      approval_templates: [{template}]
      approval_open_days: 365
      page_size: 10
      max_calls_per_second: null
    entities:
      customer: {{mapping: wecom-customer}}
      contract: {{mapping: wecom-contract}}
"""


def environment(sim: WeComSimulator) -> dict[str, str]:
    a = sim.account
    return {"WECOM_SECRET": a.corp_secret, "WECOM_CALLBACK_TOKEN": a.callback_token,
            "WECOM_AES_KEY": a.encoding_aes_key}


def write_workspace(root: Path, sim: WeComSimulator, *, extra: str = "") -> Path:
    """``extra``: more hub.yaml sections (an ``identity:`` section, say)."""
    root.mkdir(parents=True, exist_ok=True)
    hub_yaml = HUB_YAML.format(corp_id=sim.account.corp_id, agent_id=sim.account.agent_id, template=CONTRACT_TEMPLATE)
    (root / "hub.yaml").write_text(hub_yaml + extra, encoding="utf-8")
    (root / ".env").write_text("".join(f"{k}={v}\n" for k, v in environment(sim).items()), encoding="utf-8")
    return root
