"""Data-centre discovery: which hosts serve this tenant's API and tokens (never hard-coded)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.sdk import VendorClient, VendorError

DISCOVERY_PATH = "/open-auth/dataCenter/getGatewayAddress"


@dataclass(frozen=True)
class Gateway:
    """The tenant's data centre: business APIs under ``gateway_url``, tokens under ``token_url``."""

    gateway_url: str  # e.g. https://c2.yonyoucloud.com/iuap-api-gateway
    token_url: str  # e.g. https://c2.yonyoucloud.com/iuap-api-auth


async def discover(client: VendorClient, base_url: str, tenant_id: str) -> Gateway:
    """``GET {base_url}/open-auth/dataCenter/getGatewayAddress?tenantId=`` → gatewayUrl and tokenUrl."""
    body = await client.call(
        "GET", f"{base_url}{DISCOVERY_PATH}", params={"tenantId": tenant_id},
        what="getGatewayAddress", authenticated=False,
    )
    data: Any = body.get("data") if isinstance(body, dict) else None
    gateway_url = _url(data, "gatewayUrl")
    token_url = _url(data, "tokenUrl")
    if gateway_url is None or token_url is None:
        raise VendorError(
            f"yonyou getGatewayAddress: no gatewayUrl/tokenUrl for tenant {tenant_id!r} "
            "(check tenant_id in hub.yaml, and that base_url is the open API gateway)",
            details={"vendor": "yonyou", "tenant_id": tenant_id, "answer": data},
        )
    return Gateway(gateway_url, token_url)


def _url(data: Any, key: str) -> str | None:
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return value.rstrip("/")
    return None
