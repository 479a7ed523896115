"""The settings of a ``type: kingdee`` connector (``connectors.<name>.settings`` in hub.yaml).

Two ways to authenticate, chosen with ``auth``:

- ``session`` (default): log in once (``ValidateUser`` with ``password``, or
  ``LoginByAppSecret`` with ``app_id`` + ``app_secret``) and send the session cookie back;
- ``signature``: sign every request with ``app_id`` + ``app_secret`` (the current SDK's way).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from hub.sdk import ConnectorSettings

AfterSave = Literal["save", "submit", "audit"]


class KingdeeSettings(ConnectorSettings):
    base_url: str = Field(description="The K3 Cloud site, e.g. http://erp.example.cn/k3cloud/")
    acct_id: str = Field(description="The data centre (账套) id, e.g. 6123456")
    username: str = Field(description="The integration user")
    password: SecretStr | None = Field(default=None, description="For session login with ValidateUser")
    app_id: str | None = Field(default=None, description="Third-party app id (第三方系统登录授权)")
    app_secret: SecretStr | None = None
    lcid: int = Field(default=2052, description="Language: 2052 简体中文, 1033 English, 3076 繁體中文")
    org_num: str | None = Field(default=None, description="Organisation number for X-Kd-Appdata and new documents")
    auth: Literal["session", "signature"] = "session"
    # Signed requests: the gateway's client id and secret; Kingdee issues them with the app.
    client_id: str | None = Field(default=None, description="X-Api-ClientID (default: app_id)")
    client_secret: SecretStr | None = Field(default=None, description="Signs X-Api-Signature (default: app_secret)")
    # Pushes
    after_save: AfterSave = Field(default="save", description="save only, or also submit, or submit and audit")
    reference_field: str = Field(
        default="FDescription", description="Header field that carries the hub's idempotency key on pushed documents"
    )
    # Reads
    page_size: int = Field(default=2000, ge=1, le=2000, description="ExecuteBillQuery Limit (at most 2000)")
    max_calls_per_second: float | None = Field(default=None, gt=0)

    @field_validator("base_url")
    @classmethod
    def _k3cloud_root(cls, value: str) -> str:
        """``http://host`` and ``http://host/k3cloud`` both mean ``http://host/k3cloud/``."""
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https:// (e.g. http://erp.example.cn/k3cloud/)")
        value = value.rstrip("/")
        if not value.lower().endswith("/k3cloud"):
            value += "/k3cloud"
        return value + "/"

    @model_validator(mode="after")
    def _credentials_fit_the_auth_mode(self) -> KingdeeSettings:
        has_app = bool(self.app_id) and self.app_secret is not None
        if self.auth == "session" and self.password is None and not has_app:
            raise ValueError(
                "auth: session needs either password (login with ValidateUser) or app_id and app_secret "
                "(login with LoginByAppSecret)"
            )
        if self.auth == "signature" and not has_app:
            raise ValueError(
                "auth: signature needs app_id and app_secret (from the third-party app registered in K3 Cloud); "
                "use auth: session to log in with a password instead"
            )
        if (self.app_id is None) != (self.app_secret is None):
            raise ValueError("app_id and app_secret go together: set both or neither")
        return self

    @property
    def login_service(self) -> Literal["ValidateUser", "LoginByAppSecret"]:
        """Session mode logs in with the password when there is one, else with the app secret."""
        return "ValidateUser" if self.password is not None else "LoginByAppSecret"
