"""The settings of a ``type: dingtalk`` connector (``connectors.<name>.settings`` in hub.yaml).

DingTalk has two API hosts and both are needed: ``base_url`` (api.dingtalk.com, the v1.0
API: approvals, to-dos) and ``base_url_old`` (oapi.dingtalk.com: work notifications and
the custom robot). Tests point both at the simulator.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator

from hub.sdk import ConnectorSettings

AES_KEY_CHARS = 43


def _http_root(value: str, setting: str, example: str) -> str:
    value = value.strip()
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{setting} must start with http:// or https:// (e.g. {example})")
    return value.rstrip("/")


class DingTalkSettings(ConnectorSettings):
    base_url: str = Field(default="https://api.dingtalk.com", description="The v1.0 API host (新版服务端 API)")
    base_url_old: str = Field(default="https://oapi.dingtalk.com", description="The old API host (旧版 oapi)")
    app_key: str = Field(min_length=1, description="AppKey (Client ID) of the internal app (企业内部应用)")
    app_secret: SecretStr = Field(description="AppSecret (Client Secret) of the app")
    agent_id: int | None = Field(default=None, description="AgentId of the app: needed for work notifications")
    # The custom group robot (自定义机器人) with 加签 security.
    robot_access_token: SecretStr | None = Field(default=None, description="access_token of the robot's webhook URL")
    robot_secret: SecretStr | None = Field(default=None, description="The robot's 加签 secret (starts with SEC)")
    # Event subscription over HTTP (事件订阅 · HTTP 推送).
    callback_token: SecretStr | None = Field(default=None, description="Token (签名 token) of the subscription")
    aes_key: SecretStr | None = Field(default=None, description="aes_key (加密 aes_key), 43 characters")
    callback_owner_key: str | None = Field(
        default=None, description="The key callbacks are sealed for: the app key (default), or the corp id / "
                                  "suite key of older subscriptions")
    callback_tolerance_seconds: int = Field(
        default=600, ge=30, description="Callbacks whose timeStamp is further from this server's clock are refused")
    # Approvals read as contracts.
    process_codes: list[str] = Field(default_factory=list, description="processCode of each approval template "
                                                                       "to pull (PROC-...)")
    history_days: int = Field(default=365, ge=1, le=3650,
                              description="How far back a full read lists approval instances (by start time)")
    page_size: int = Field(default=20, ge=1, le=20, description="maxResults of instance listing (DingTalk: ≤ 20)")
    approval_reference_field: str | None = Field(
        default=None, description="A text field of the approval form where a started approval keeps the hub's "
                                  "reference, so a retried start finds the first one")
    approval_lookup_days: int = Field(default=3, ge=1, le=30,
                                      description="How far back a retried approval start looks for its first try")
    todo_operator_union_id: str | None = Field(default=None, description="operatorId for to-dos (a unionId)")
    template_dir: str | None = Field(default=None, description="A folder of message templates searched before the "
                                                               "shipped mappings/dingtalk/templates/")
    max_calls_per_second: float | None = Field(default=None, gt=0, description="Stay under this call rate")

    @field_validator("base_url")
    @classmethod
    def _new_root(cls, value: str) -> str:
        return _http_root(value, "base_url", "https://api.dingtalk.com")

    @field_validator("base_url_old")
    @classmethod
    def _old_root(cls, value: str) -> str:
        return _http_root(value, "base_url_old", "https://oapi.dingtalk.com")

    @field_validator("robot_secret")
    @classmethod
    def _robot_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("SEC"):
            raise ValueError("robot_secret is the robot's 加签 secret, which starts with SEC: copy it from the "
                             "robot's security settings (安全设置 · 加签)")
        return value

    @field_validator("aes_key")
    @classmethod
    def _aes_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) != AES_KEY_CHARS:
            raise ValueError(f"aes_key must be {AES_KEY_CHARS} characters (got {len(value.get_secret_value())}): "
                             "copy 加密 aes_key from the app's event subscription page")
        return value

    @field_validator("process_codes")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        codes = [code.strip() for code in value]
        if any(not code for code in codes):
            raise ValueError("process_codes has an empty entry; each is an approval template's processCode")
        return list(dict.fromkeys(codes))

    @model_validator(mode="after")
    def _pairs(self) -> DingTalkSettings:
        if (self.callback_token is None) != (self.aes_key is None):
            raise ValueError("callback_token and aes_key go together: set both (from the event subscription page) "
                             "or neither")
        if self.robot_secret is not None and self.robot_access_token is None:
            raise ValueError("robot_secret needs robot_access_token (the access_token in the robot's webhook URL)")
        return self

    @property
    def owner_key(self) -> str:
        """The receive id callbacks are sealed for."""
        return self.callback_owner_key or self.app_key
