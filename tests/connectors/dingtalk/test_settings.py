"""hub.yaml settings of a ``type: dingtalk`` connector: defaults, and mistakes caught when the file loads."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from connectors.dingtalk import DingTalkSettings

AES_KEY = "k2V3wS8nQ5mR7tY1uI9oP3aS5dF7gH1jK3lZ5xC7vB9"


def settings(**values: Any) -> DingTalkSettings:
    return DingTalkSettings.model_validate({"app_key": "dingkey", "app_secret": "s3cret-value", **values})


def test_both_hosts_default_to_dingtalks() -> None:
    s = settings()

    assert (s.base_url, s.base_url_old) == ("https://api.dingtalk.com", "https://oapi.dingtalk.com")
    assert s.owner_key == "dingkey"  # callbacks of an app subscription are sealed for its app key


def test_a_trailing_slash_is_dropped_and_a_url_needs_its_scheme() -> None:
    assert settings(base_url="http://127.0.0.1:9104/").base_url == "http://127.0.0.1:9104"
    with pytest.raises(ValidationError, match="must start with http"):
        settings(base_url_old="oapi.dingtalk.com")


@pytest.mark.parametrize(("values", "message"), [
    ({"robot_secret": "not-a-sign-secret", "robot_access_token": "t"}, "starts with SEC"),
    ({"robot_secret": "SECabc"}, "robot_secret needs robot_access_token"),
    ({"callback_token": "t", "aes_key": "too-short"}, "43 characters"),
    ({"callback_token": "t"}, "go together"),
    ({"aes_key": AES_KEY}, "go together"),
    ({"page_size": 50}, "less than or equal to 20"),
    ({"process_codes": ["PROC-1", " "]}, "empty entry"),
    ({"app_sceret": "typo"}, "Extra inputs are not permitted"),
], ids=["robot-secret-prefix", "robot-secret-alone", "aes-key-length", "token-without-key", "key-without-token",
        "page-size", "empty-process-code", "unknown-setting"])
def test_mistakes_are_reported_with_how_to_fix_them(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        settings(**values)


def test_process_codes_are_trimmed_and_deduplicated() -> None:
    assert settings(process_codes=[" PROC-1", "PROC-2", "PROC-1"]).process_codes == ["PROC-1", "PROC-2"]


def test_secrets_never_show() -> None:
    s = settings(robot_access_token="robot-token-value", robot_secret="SECrobot-secret-value",
                 callback_token="callback-token-value", aes_key=AES_KEY)

    shown = repr(s) + str(s.masked())
    for secret in ("s3cret-value", "robot-token-value", "SECrobot-secret-value", "callback-token-value", AES_KEY):
        assert secret not in shown
