"""The settings of a ``type: mail`` connector (``connectors.<name>.settings`` in hub.yaml).

One connector is one mailbox account (support@, sales@): IMAP to read it, SMTP to send
from it. The names in DESIGN.md are kept; the rest have defaults that suit most servers.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from hub.sdk import ConnectorSettings

# Free-mail domains: a sender there says nothing about their company, so never match a customer by it.
FREE_MAIL_DOMAINS = (
    "qq.com", "vip.qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "vip.163.com", "vip.126.com",
    "188.com", "sina.com", "sina.cn", "sohu.com", "139.com", "189.cn", "wo.cn", "aliyun.com", "tom.com",
    "21cn.com", "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "yahoo.com.cn", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com",
)

SmtpSecurity = Literal["ssl", "starttls", "none"]
Language = Literal["zh", "en"]
DEFAULT_REF_PATTERN = r"\[#(?P<ref>[A-Za-z0-9][A-Za-z0-9_-]{1,40})\]"
_AFTER = re.compile(r"^(flag|none|move:.+)$")


class MailSettings(ConnectorSettings):
    base_url: str = Field(default="", description="Unused by mail: the servers are imap_host and smtp_host")
    # IMAP: reading
    imap_host: str | None = Field(default=None, description="IMAP server, e.g. imap.exmail.qq.com")
    imap_port: int | None = Field(default=None, ge=1, le=65535, description="Default 993 with imap_ssl, else 143")
    imap_ssl: bool = Field(default=True, description="TLS from the first byte (port 993)")
    imap_starttls: bool = Field(default=False, description="Without imap_ssl: upgrade with STARTTLS before login")
    username: str | None = Field(default=None, description="IMAP login (often the full address)")
    password: SecretStr | None = None
    mailbox: str = Field(default="INBOX", description="The folder read into tickets (Chinese names are fine)")
    after: str = Field(default="flag", description="After the ticket is committed: flag | move:<folder> | none")
    page_size: int = Field(default=100, ge=1, le=1000, description="Messages fetched and committed per page")
    idle: bool = Field(default=True, description="Watch the mailbox with IMAP IDLE when the server offers it")
    # SMTP: sending
    smtp_host: str | None = Field(default=None, description="SMTP server, e.g. smtp.exmail.qq.com")
    smtp_port: int | None = Field(default=None, ge=1, le=65535, description="Default 465 ssl, 587 starttls, 25 none")
    smtp_security: SmtpSecurity = "ssl"
    smtp_username: str | None = Field(default=None, description="Default: username")
    smtp_password: SecretStr | None = Field(default=None, description="Default: password")
    from_address: str | None = Field(default=None, description="From: of sent mail, e.g. 客服 <support@example.cn>")
    sent_mailbox: str | None = Field(default="Sent", description="IMAP folder keeping sent mail (idempotency)")
    save_sent: bool = Field(default=True, description="Append a copy of each sent mail to sent_mailbox")
    templates_dir: str | None = Field(default=None, description="Your templates, searched before the shipped ones")
    default_language: Language = "zh"
    # Both
    tls_ca_file: str | None = Field(default=None, description="PEM of a private CA the servers' certificates use")
    timeout: float = Field(default=30.0, gt=0, description="Seconds per network operation")
    # Tickets
    ticket_ref_pattern: str = Field(default=DEFAULT_REF_PATTERN,
                                    description="Regex with a (?P<ref>...) group, for subjects like [#T-1024]")
    free_mail_domains: list[str] = Field(default_factory=lambda: list(FREE_MAIL_DOMAINS))
    attachments_dir: str = Field(default="attachments/mail", description="Relative to HUB_WORKSPACE")
    attachment_max_bytes: int = Field(default=20 * 1024 * 1024, ge=0, description="Larger ones: listed, not kept")
    max_message_bytes: int = Field(default=50 * 1024 * 1024, ge=1024, description="Larger: headers only")
    quarantine_raw_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024,
                                          description="Raw bytes kept with a quarantined message")

    @field_validator("after")
    @classmethod
    def _after_is_known(cls, value: str) -> str:
        value = value.strip()
        if not _AFTER.match(value):
            raise ValueError("after must be flag, none or move:<folder> (e.g. move:已处理)")
        return value

    @field_validator("ticket_ref_pattern")
    @classmethod
    def _pattern_has_ref_group(cls, value: str) -> str:
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ValueError(f"ticket_ref_pattern is not a valid regular expression: {exc}") from exc
        if "ref" not in pattern.groupindex:
            raise ValueError(r"ticket_ref_pattern needs a named group (?P<ref>...), e.g. \[#(?P<ref>T-\d+)\]")
        return value

    @field_validator("free_mail_domains")
    @classmethod
    def _lower_domains(cls, value: list[str]) -> list[str]:
        return [d.strip().lower().lstrip("@") for d in value if d.strip()]

    @model_validator(mode="after")
    def _servers_have_credentials(self) -> MailSettings:
        if self.imap_host is None and self.smtp_host is None:
            raise ValueError("set imap_host (to read mail into tickets), smtp_host (to send), or both")
        if self.imap_host is not None and (self.username is None or self.password is None):
            raise ValueError("imap_host needs username and password (${ENV} references, never plain text)")
        if self.smtp_host is not None and self.from_address is None:
            raise ValueError("smtp_host needs from_address, e.g. 客服中心 <support@example.cn>")
        if self.imap_ssl and self.imap_starttls:
            raise ValueError("imap_ssl and imap_starttls exclude each other: TLS from the start, or upgrade later")
        return self

    @property
    def move_to(self) -> str | None:
        return self.after.removeprefix("move:").strip() if self.after.startswith("move:") else None

    @property
    def effective_imap_port(self) -> int:
        return self.imap_port or (993 if self.imap_ssl else 143)

    @property
    def effective_smtp_port(self) -> int:
        return self.smtp_port or {"ssl": 465, "starttls": 587, "none": 25}[self.smtp_security]

    @property
    def smtp_login(self) -> tuple[str, str] | None:
        """Who SMTP authenticates as; None sends without AUTH (a relay that trusts the network)."""
        user = self.smtp_username or self.username
        secret = self.smtp_password or self.password
        if user is None or secret is None:
            return None
        return user, secret.get_secret_value()
