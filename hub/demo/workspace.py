"""The demo's workspace: hub.yaml wired to the simulators, secrets in .env, the shipped flows.

Secrets are ``${NAME}`` references in hub.yaml with their values in the workspace's .env,
exactly as a real workspace keeps them; the flows are the shipped files with their
``vars`` set to users the simulators know (WeCom refuses messages to unknown users).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from connectors.wecom.simulator import CONTRACT_TEMPLATE
from hub.demo.systems import MAIL_USER, Systems
from hub.errors import ConfigError
from hub.security.secrets import SecretBox

SHIPPED_FLOWS = Path(__file__).resolve().parents[1] / "flows" / "shipped"
FLOWS = ("order-to-production", "production-progress", "signed-contract-to-project", "ticket-sla",
         "ticket-resolved-summary")

HUB_YAML = """\
## The `hub demo` workspace: every connector points at a simulator on 127.0.0.1.
## Secrets are ${{NAME}} references; their values are in .env next to this file.
connectors:
  kingdee-main:
    type: kingdee
    settings:
      base_url: {kingdee}/k3cloud/
      acct_id: "{kd.acct_id}"
      username: {kd.username}
      password: ${{KD_PASSWORD}}
      page_size: 100
    entities:
      customer: {{mapping: kingdee-customer}}
      order: {{mapping: kingdee-sales-order, schedule: every 1m}}              # the schedules run with --keep
      production_order: {{mapping: kingdee-production-order, schedule: every 1m}}
  wecom-main:
    type: wecom
    settings:
      base_url: {wecom}/cgi-bin/
      corp_id: {wc.corp_id}
      corp_secret: ${{WC_CORP_SECRET}}
      agent_id: {wc.agent_id}
      approval_templates: [{template}]
    entities:
      contract: {{mapping: wecom-contract, schedule: every 1m}}
  dingtalk-main:
    type: dingtalk
    settings:
      base_url: {dingtalk}
      base_url_old: {dingtalk}
      app_key: {dt.app_key}
      app_secret: ${{DT_APP_SECRET}}
      agent_id: {dt.agent_id}
  mail-support:
    type: mail
    settings:
      imap_host: 127.0.0.1
      imap_port: {imap}
      imap_ssl: false          # the demo mailbox is local and plain; use TLS (the default) for a real server
      username: {mail_user}
      password: ${{MAIL_PASSWORD}}
      idle: false
    entities:
      ticket: {{mapping: mail-ticket, schedule: every 1m}}
subscriptions:
  project-system:
    url: {project}/projects
    events: []                 # only the signed-contract-to-project flow's webhook step sends here
    secret: ${{PROJECT_WEBHOOK_SECRET}}
"""


def write_workspace(root: Path, systems: Systems) -> dict[str, str]:
    """Write hub.yaml, .env and flows/ into ``root`` (empty or new); the HUB_* settings it chose."""
    if root.exists() and any(root.iterdir()):
        raise ConfigError(f"{root} is not empty: the demo writes a fresh workspace",
                          details={"hint": "give --workspace a new or empty folder, or leave it out"})
    root.mkdir(parents=True, exist_ok=True)
    (root / "hub.yaml").write_text(HUB_YAML.format(
        kingdee=systems.url("kingdee"), wecom=systems.url("wecom"), dingtalk=systems.url("dingtalk"),
        imap=systems.ports["imap"], project=systems.url("project"), mail_user=MAIL_USER,
        kd=systems.kingdee.account, wc=systems.wecom.account, dt=systems.dingtalk.account,
        template=CONTRACT_TEMPLATE), encoding="utf-8")
    settings = {"HUB_SECRET_KEY": SecretBox.generate_key(),
                "HUB_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8"}  # the SSRF guard lets the local project system in
    secrets = {"KD_PASSWORD": systems.kingdee.account.password,
               "WC_CORP_SECRET": systems.wecom.account.corp_secret,
               "DT_APP_SECRET": systems.dingtalk.account.app_secret,
               "MAIL_PASSWORD": systems.mailbox.password,
               "PROJECT_WEBHOOK_SECRET": systems.project.secret}
    lines = [f"{k}={v}" for k, v in {**settings, **secrets}.items()]
    (root / ".env").write_text("# hub demo: generated secrets for the simulators (never commit a .env)\n"
                               + "\n".join(lines) + "\n", encoding="utf-8")
    _write_flows(root / "flows", systems)
    return settings


def _write_flows(folder: Path, systems: Systems) -> None:
    folder.mkdir()
    staff = [str(e["userid"]) for e in systems.wecom.staff]
    people = {"delivery_team": staff[:2], "team_lead": staff[2:3]}
    for name in FLOWS:
        source = SHIPPED_FLOWS / f"{name}.yaml"
        text = source.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        found = data.get("vars") or {}
        changed = {k: v for k, v in people.items() if k in found}
        if changed:  # re-written (its comments are lost); the others are copied as shipped
            data["vars"] = {**found, **changed}
            text = (f"# {source.name} as shipped, with vars {', '.join(changed)} set to the simulator's users\n"
                    + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120))
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
