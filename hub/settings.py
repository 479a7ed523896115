"""Process settings read from ``HUB_*`` environment variables (and an optional ``.env``)."""

from __future__ import annotations

import ipaddress
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a process needs before it can read the workspace.

    The workspace (``hub.yaml``, ``mappings/``, ``flows/``) holds what an IT admin
    keeps in git; these settings hold what differs per machine or is secret.
    """

    model_config = SettingsConfigDict(env_prefix="HUB_", env_file=".env", extra="ignore")

    workspace: Path = Field(default=Path("."), description="Folder with hub.yaml, mappings/ and flows/.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<workspace>/hub.db. postgresql://... for production.",
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Fernet key(s), comma-separated, newest first, for secrets at rest."
    )
    webhook_allow_networks: str = Field(
        default="", description="Comma-separated CIDRs outbound webhooks may reach despite the SSRF guard."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"

    @field_validator("webhook_allow_networks")
    @classmethod
    def _valid_networks(cls, value: str) -> str:
        for part in _split_csv(value):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as exc:
                raise ValueError(f"HUB_WEBHOOK_ALLOW_NETWORKS: {part!r} is not a CIDR (e.g. 127.0.0.0/8)") from exc
        return value

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.workspace / 'hub.db').resolve()}"

    @property
    def allowed_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(p, strict=False) for p in _split_csv(self.webhook_allow_networks)]


def _split_csv(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


def get_settings() -> Settings:
    """Read settings now (never at import time, so tests and CLI flags can set the environment first)."""
    return Settings()
