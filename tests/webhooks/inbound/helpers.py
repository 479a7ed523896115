"""A workspace with one inbound source per verification scheme, and senders that sign like real ones."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from standardwebhooks import Webhook

from webhooks.inbound.messages import MESSAGES

SHOP_SECRET = "whsec_" + base64.b64encode(b"shop-secret-of-32-bytes-length!!").decode()
GIT_SECRET = "git-hook-secret"
CRM_SECRET = "crm-base64-secret"
ERP_KEY = "erp-api-key-123"

HUB_YAML = """\
sources:
  shop:
    verify: {scheme: standard-webhooks, secret: "${SHOP_SECRET}"}
    mapping: shop-order
  git:
    verify: {scheme: hmac-sha256, secret: "${GIT_SECRET}", header: X-Hub-Signature-256, prefix: "sha256="}
    mapping: shop-order
    dedupe: X-GitHub-Delivery
  crm:
    verify: {scheme: hmac-sha256, secret: "${CRM_SECRET}", encoding: base64}
    mapping: shop-order
    dedupe: $.order_id
  erp:
    verify: {scheme: api-key, secret: "${ERP_KEY}"}
    mapping: shop-order
    max_body_bytes: 2048
"""

ENV = {"SHOP_SECRET": SHOP_SECRET, "GIT_SECRET": GIT_SECRET, "CRM_SECRET": CRM_SECRET, "ERP_KEY": ERP_KEY}

SHOP_ORDER_MAPPING = """\
version: 1
name: shop-order
system: shop
object: order
entity: order
id: order_id
fields:
  number: order_id
  status: {from: state, map: {new: draft, paid: confirmed}}
  currency: {const: CNY}
  total: {from: amount, pipe: [{decimal: 2}]}
"""

# The same mapping with the status map fixed for "shipped" orders (a mapping fix to replay after).
FIXED_SHOP_ORDER_MAPPING = SHOP_ORDER_MAPPING.replace(
    "{new: draft, paid: confirmed}", "{new: draft, paid: confirmed, sent: shipped}"
)


def write_workspace(root: Path, hub_yaml: str = HUB_YAML, mapping: str = SHOP_ORDER_MAPPING) -> Path:
    (root / "hub.yaml").write_text(hub_yaml, encoding="utf-8")
    (root / "mappings").mkdir(exist_ok=True)
    (root / "mappings" / "shop-order.yaml").write_text(mapping, encoding="utf-8")
    (root / ".env").write_text("".join(f"{k}={v}\n" for k, v in ENV.items()), encoding="utf-8")
    return root


def order(order_id: str, state: str = "new", amount: str = "12.50") -> bytes:
    return json.dumps({"order_id": order_id, "state": state, "amount": amount}).encode()


def standard_headers(body: bytes, msg_id: str, *, secret: str = SHOP_SECRET, timestamp: int | None = None
                     ) -> dict[str, str]:
    """Signed with the standardwebhooks reference library, as a sender would."""
    when = int(time.time()) if timestamp is None else timestamp
    from datetime import UTC, datetime

    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(when, tz=UTC), body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(when), "webhook-signature": signature,
            "content-type": "application/json"}


def github_headers(body: bytes, delivery: str, *, secret: str = GIT_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Delivery": delivery,
            "content-type": "application/json"}


def crm_headers(body: bytes, *, secret: str = CRM_SECRET) -> dict[str, str]:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Signature": digest, "content-type": "application/json"}


def erp_headers(key: str = ERP_KEY) -> dict[str, str]:
    return {"X-API-Key": key, "content-type": "application/json"}


def ids(response: Any) -> str:
    return str(response.json()["id"])


def stored(engine: Engine) -> list[dict[str, Any]]:
    """Every inbound message row, oldest first."""
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(MESSAGES).order_by(MESSAGES.c.id)).mappings()]
