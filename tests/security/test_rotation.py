"""Key rotation: after `hub secrets rotate-key` every stored secret opens with the new key alone."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from hub.cli.main import app
from hub.db.types import utcnow
from hub.errors import ConfigError
from hub.sdk.tokens import TokenStore
from hub.security.rotation import rotate_stored_secrets
from hub.security.secrets import SecretBox
from hub.workspace.config import SubscriptionConfig
from webhooks.outbound.subscriptions import create_subscription

OLD, NEW = SecretBox.generate_key(), SecretBox.generate_key()


def _stored(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        values = [v for row in conn.execute(text(
            "SELECT secret, previous_secret, signing_key, headers FROM subscriptions")) for v in row if v]
        values += [v for (v,) in conn.execute(text("SELECT token FROM connector_tokens"))]
    return values


def _secrets_with_the_old_key(engine: Engine) -> dict[str, str]:
    box = SecretBox(OLD)
    spec = SubscriptionConfig.model_validate({"url": "https://mes.example.cn/hooks", "events": ["order.*"],
                                              "headers": {"Authorization": "Bearer mes-token"}})
    with engine.begin() as conn:
        create_subscription(conn, box, "mes", spec, now=utcnow(), source="api")
    TokenStore(engine, box).save("wecom:corp:app", "wecom-access-token", utcnow() + timedelta(hours=2))
    return {SecretBox(OLD).decrypt(v): v for v in _stored(engine)}


def test_rotation_re_encrypts_every_stored_secret_under_the_new_key(
    db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = _secrets_with_the_old_key(db_engine)
    for name in list(os.environ):
        if name.startswith("HUB_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HUB_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("HUB_DATABASE_URL", str(db_engine.url))
    monkeypatch.setenv("HUB_SECRET_KEY", f"{NEW},{OLD}")
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(app, ["secrets", "rotate-key"])

    assert result.exit_code == 0, result.output
    assert "2 in subscriptions, 1 in connector_tokens" in result.stdout  # the secret and the headers; the token
    stored = _stored(db_engine)
    assert sorted(SecretBox(NEW).decrypt(v) for v in stored) == sorted(plain)  # the new key alone opens them
    for value in stored:
        with pytest.raises(ConfigError):
            SecretBox(OLD).decrypt(value)
    assert not any(secret in value for value in stored for secret in ("mes-token", "wecom-access-token"))


def test_a_secret_no_key_opens_stops_the_rotation_with_nothing_changed(db_engine: Engine) -> None:
    _secrets_with_the_old_key(db_engine)
    before = _stored(db_engine)

    with pytest.raises(ConfigError, match=r"subscriptions .*: a stored secret cannot be decrypted"), \
            db_engine.begin() as conn:
        rotate_stored_secrets(conn, SecretBox(NEW))  # the old key was dropped too early

    assert _stored(db_engine) == before


def test_keygen_prints_a_key_the_hub_accepts() -> None:
    result = CliRunner().invoke(app, ["secrets", "keygen"])

    assert result.exit_code == 0
    SecretBox(result.stdout.strip()).encrypt("x")
