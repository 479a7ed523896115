"""Personal data and secrets never reach the logs."""

from __future__ import annotations

import logging
import logging.config

import pytest

from hub.logs import RedactingFilter, logging_config, mask_personal_data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 13812345678 now", "call 138****5678 now"),
        ("phone +86 138 1234 5678", "phone +86 138****5678"),
        ("tel 021-5555-0000", "tel 021-****-0000"),
        ("from li.lei@huadong.cn", "from l***@huadong.cn"),
        ("key hub_ab12cd34_Lt40FFRLEMlSvJUBqOxU4tMLg3ns", "key hub_ab12cd34_***"),
        ("secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "secret whsec_***"),
        ("order SO-20240501 total 1200.50", "order SO-20240501 total 1200.50"),
    ],
    ids=["mobile", "mobile-plus86-spaces", "landline", "email", "api-key", "webhook-secret", "no-personal-data"],
)
def test_masking(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


def test_a_handler_with_the_filter_masks_arguments_too(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RedactingFilter())
    logger = logging.getLogger("hub.test")

    with caplog.at_level(logging.INFO, logger="hub.test"):
        logger.info("customer %s phone %s", "华东机械", "13812345678")

    assert caplog.messages == ["customer 华东机械 phone 138****5678"]


def test_the_server_logging_config_is_valid_and_redacts_every_handler() -> None:
    config = logging_config("debug")

    logging.config.dictConfig({**config, "loggers": {}, "root": {"level": "WARNING", "handlers": []}})

    assert all("redact" in handler["filters"] for handler in config["handlers"].values())
    assert config["loggers"]["hub"]["level"] == "DEBUG"


def test_tokens_in_query_strings_are_masked() -> None:
    text = "GET https://qyapi.weixin.qq.com/cgi-bin/user/get?access_token=abcDEF123&userid=zhangsan"

    assert mask_personal_data(text) == "GET https://qyapi.weixin.qq.com/cgi-bin/user/get?access_token=***&userid=zhangsan"
