"""Mail settings: what an admin can get wrong is refused with how to fix it; secrets never show."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from connectors.mail import MailSettings

BASE: dict[str, Any] = {"imap_host": "imap.exmail.qq.com", "username": "support@example.cn",
                        "password": "imap-secret-123", "smtp_host": "smtp.exmail.qq.com",
                        "from_address": "客服 <support@example.cn>", "smtp_password": "smtp-secret-456"}


def settings(**changes: Any) -> MailSettings:
    return MailSettings.model_validate({**BASE, **changes})


def test_ports_default_from_the_security_mode() -> None:
    assert (settings().effective_imap_port, settings(imap_ssl=False).effective_imap_port) == (993, 143)
    assert [settings(smtp_security=m).effective_smtp_port for m in ("ssl", "starttls", "none")] == [465, 587, 25]


@pytest.mark.parametrize(("changes", "message"), [
    ({"after": "archive"}, "after must be flag, none or move:<folder>"),
    ({"ticket_ref_pattern": r"\[#(T-\d+)\]"}, "needs a named group"),
    ({"ticket_ref_pattern": r"\[#(?P<ref>"}, "not a valid regular expression"),
    ({"password": None}, "imap_host needs username and password"),
    ({"from_address": None}, "smtp_host needs from_address"),
    ({"imap_host": None, "smtp_host": None}, "set imap_host"),
    ({"imap_starttls": True}, "exclude each other"),
    ({"smtp_security": "tls"}, "smtp_security"),
    ({"imap_passwrd": "x"}, "imap_passwrd"),
], ids=["after", "token-group", "token-regex", "no-password", "no-from", "no-server", "ssl-and-starttls",
        "security", "unknown-key"])
def test_bad_settings_are_refused_with_the_fix(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        settings(**changes)


def test_move_after_commit_names_its_folder() -> None:
    assert (settings(after="move: 已处理").move_to, settings(after="flag").move_to) == ("已处理", None)


def test_smtp_logs_in_with_its_own_credentials_or_the_imap_ones() -> None:
    assert settings().smtp_login == ("support@example.cn", "smtp-secret-456")
    assert settings(smtp_password=None).smtp_login == ("support@example.cn", "imap-secret-123")
    assert settings(smtp_username="relay", smtp_password="r-pass-789").smtp_login == ("relay", "r-pass-789")


def test_secrets_are_masked_and_never_in_repr() -> None:
    shown = settings().masked()

    assert shown["password"].startswith("••••")
    assert "imap-secret" not in str(shown)
    assert "smtp-secret" not in repr(settings()) + str(shown)


def test_free_mail_domains_are_normalised() -> None:
    assert settings(free_mail_domains=[" QQ.com", "@163.COM", ""]).free_mail_domains == ["qq.com", "163.com"]
