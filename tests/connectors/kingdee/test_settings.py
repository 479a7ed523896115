"""Settings: both auth modes, the combinations that cannot work, base_url forms, secrets masked."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from connectors.erp.kingdee import KingdeeSettings

BASE: dict[str, Any] = {"base_url": "http://erp.example.cn/k3cloud/", "acct_id": "6123456", "username": "integrator"}


def test_session_login_with_a_password_uses_validate_user() -> None:
    settings = KingdeeSettings.model_validate({**BASE, "password": "pw"})

    assert (settings.auth, settings.login_service) == ("session", "ValidateUser")


def test_session_login_with_an_app_secret_uses_login_by_app_secret() -> None:
    settings = KingdeeSettings.model_validate({**BASE, "app_id": "224299_x", "app_secret": "s"})

    assert settings.login_service == "LoginByAppSecret"


def test_signature_mode_needs_no_password() -> None:
    settings = KingdeeSettings.model_validate({**BASE, "auth": "signature", "app_id": "224299_x", "app_secret": "s"})

    assert settings.auth == "signature"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param({}, "auth: session needs either password", id="session-without-credentials"),
        pytest.param({"auth": "signature", "password": "pw"}, "auth: signature needs app_id and app_secret",
                     id="signature-without-app"),
        pytest.param({"password": "pw", "app_id": "224299_x"}, "app_id and app_secret go together",
                     id="app-id-without-secret"),
        pytest.param({"password": "pw", "page_size": 5000}, "less than or equal to 2000", id="page-over-2000"),
        pytest.param({"password": "pw", "auth": "token"}, "'session' or 'signature'", id="unknown-auth-mode"),
    ],
)
def test_combinations_that_cannot_work_are_refused_with_a_clear_reason(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        KingdeeSettings.model_validate({**BASE, **extra})


@pytest.mark.parametrize(
    "given",
    ["http://erp.example.cn", "http://erp.example.cn/", "http://erp.example.cn/k3cloud", "http://erp.example.cn/k3cloud/"],
)
def test_base_url_always_ends_at_the_k3cloud_root(given: str) -> None:
    settings = KingdeeSettings.model_validate({**BASE, "base_url": given, "password": "pw"})

    assert settings.base_url == "http://erp.example.cn/k3cloud/"


def test_secrets_never_show() -> None:
    settings = KingdeeSettings.model_validate(
        {**BASE, "password": "very-secret-password", "app_id": "a", "app_secret": "very-secret-app"})

    shown = repr(settings) + str(settings.masked())

    assert "very-secret" not in shown
    assert set(KingdeeSettings.secret_fields()) == {"password", "app_secret", "client_secret"}
