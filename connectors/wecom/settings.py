"""The settings of a ``type: wecom`` connector (``connectors.<name>.settings`` in hub.yaml).

One self-built app (自建应用) of one corp. Its secret gets the access token for messages
and, when the app is granted them, for customer contacts (客户联系) and approvals (审批).
A corp may instead use the 客户联系 secret or the 审批 app's secret for those APIs: set
``contact_secret`` / ``approval_secret`` and those calls get their own token.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from hub.sdk import ConnectorSettings

PUBLIC_API = "https://qyapi.weixin.qq.com/cgi-bin/"
MAX_USERS_PER_CALL = 100  # batch/get_by_user: userid_list holds at most 100 userids
MAX_CONTACTS_PER_CALL = 100  # batch/get_by_user: limit
MAX_APPROVALS_PER_CALL = 100  # getapprovalinfo: size
MAX_WINDOW_DAYS = 31  # getapprovalinfo: endtime - starttime


class WeComSettings(ConnectorSettings):
    base_url: str = Field(default=PUBLIC_API, description="The server API root (a simulator in tests)")
    corp_id: str = Field(min_length=1, description="企业ID (我的企业 → 企业信息), also the callbacks' receive id")
    corp_secret: SecretStr = Field(description="The self-built app's Secret (应用管理 → the app → Secret)")
    agent_id: int | None = Field(default=None, description="The app's AgentId: needed to send application messages")
    # Callbacks (接收消息 → 设置API接收): the Token and EncodingAESKey WeCom shows for the app.
    callback_token: SecretStr | None = None
    encoding_aes_key: SecretStr | None = Field(default=None, description="43 characters")
    callback_max_age: int = Field(default=300, ge=0, description="Refuse callbacks whose timestamp is older "
                                  "(or newer) than this many seconds; 0 turns the check off")
    # Other secrets for the same corp, when the app itself is not granted these APIs.
    contact_secret: SecretStr | None = Field(default=None, description="客户联系 Secret, for externalcontact/*")
    approval_secret: SecretStr | None = Field(default=None, description="审批 app Secret, for oa/*")
    # Customers: which employees' external contacts to pull (default: every employee WeCom lists as a follow user).
    follow_users: list[str] | None = Field(default=None, description="userids; default get_follow_user_list")
    users_per_call: int = Field(default=MAX_USERS_PER_CALL, ge=1, le=MAX_USERS_PER_CALL)
    contacts_per_call: int = Field(default=MAX_CONTACTS_PER_CALL, ge=1, le=MAX_CONTACTS_PER_CALL)
    page_size: int = Field(default=200, ge=1, le=5000, description="customers per page handed to the hub")
    # Contracts: approvals (审批) of these templates.
    approval_templates: list[str] = Field(default_factory=list, description="template_id of each contract template")
    approvals_per_call: int = Field(default=MAX_APPROVALS_PER_CALL, ge=1, le=MAX_APPROVALS_PER_CALL)
    approval_window_days: int = Field(default=MAX_WINDOW_DAYS, ge=1, le=MAX_WINDOW_DAYS)
    approval_history_days: int = Field(default=365, ge=1, description="how far back a full sync reads approvals")
    approval_open_days: int = Field(default=90, ge=0, description="approvals still in review are looked at again "
                                    "on every sync for this many days after they were applied")
    # Pushes
    duplicate_check_interval: int = Field(default=1800, ge=0, le=4 * 3600, description="seconds within which "
                                          "WeCom drops a repeated message (enable_duplicate_check)")
    message_templates: str | None = Field(default=None, description="a folder of message templates looked at "
                                          "before the shipped ones (mappings/wecom/templates)")
    approval_reference_control: str | None = Field(default=None, description="id or title of a Text control of "
                                                   "the templates you start, where the hub writes its reference so "
                                                   "a retried start finds the approval instead of making another")
    approval_lookup_days: int = Field(default=7, ge=1, le=MAX_WINDOW_DAYS, description="how far back a retried "
                                      "start looks for the approval it may have made")
    # Calls: WeCom publishes about 2000 calls/minute per API; stay under it instead of hitting 45009.
    max_calls_per_second: float | None = Field(default=30.0, gt=0)

    @field_validator("base_url")
    @classmethod
    def _api_root(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https:// (e.g. https://qyapi.weixin.qq.com/cgi-bin/)")
        return value.rstrip("/") + "/"

    @field_validator("encoding_aes_key")
    @classmethod
    def _aes_key_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) != 43:
            raise ValueError("encoding_aes_key is the 43-character EncodingAESKey from the app's 接收消息 settings")
        return value

    @field_validator("follow_users", "approval_templates")
    @classmethod
    def _no_blank_items(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not item.strip() for item in value):
            raise ValueError("an empty id in the list: remove it")
        return [item.strip() for item in value] if value is not None else None
