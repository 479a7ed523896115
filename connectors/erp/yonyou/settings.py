"""The settings of a ``type: yonyou`` connector (``connectors.<name>.settings`` in hub.yaml)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from hub.sdk import ConnectorSettings

PUBLIC_GATEWAY = "https://apigateway.yonyoucloud.com"
MAX_PAGE_SIZE = 500


class YonyouSettings(ConnectorSettings):
    """Yonyou YonBIP / YonSuite open API, as a self-built app (自建应用) of one tenant.

    ``base_url`` is the open API gateway that answers the data-centre discovery
    (``https://apigateway.yonyoucloud.com`` in production, a simulator in tests);
    the tenant's own API and token hosts are discovered from it, never configured.
    """

    base_url: str = PUBLIC_GATEWAY
    tenant_id: str = Field(min_length=1, description="租户 ID, shown in the open platform (开放平台)")
    app_key: str = Field(min_length=1, description="the self-built app's appKey")
    app_secret: SecretStr = Field(description="the self-built app's appSecret")
    page_size: int = Field(default=MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="records per list call")
    requests_per_second: float | None = Field(
        default=None, gt=0, description="stay under this call rate (unset: rely on the vendor's rate-limit codes)"
    )

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value
