"""Logging that never shows personal data or secrets.

Every handler the hub installs carries :class:`RedactingFilter`: mobile and
landline numbers, e-mail addresses, API keys and webhook secrets are masked in the
final message, whatever code logged it (ours, uvicorn's, a library's).
"""

from __future__ import annotations

import logging
import re
from typing import Any

_MOBILE = re.compile(r"(?<!\d)((?:\+?86[ -]?)?1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[ -]?(\d{3,4})[ -]?(\d{4})(?!\d)")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_API_KEY = re.compile(r"\b(hub_[a-z0-9]{8})_[A-Za-z0-9_-]{16,}")
_WEBHOOK_SECRET = re.compile(r"\b(wh(?:sec|sk|pk))_[A-Za-z0-9+/=]{8,}")
_QUERY_TOKEN = re.compile(r"((?:access_token|accessToken|token|sign|signature|corpsecret|appsecret)=)[^&\s\"']+")


def mask_personal_data(text: str) -> str:
    """``13812345678`` → ``138****5678``, ``li.lei@example.cn`` → ``l***@example.cn``, keys cut to their prefix."""
    text = _API_KEY.sub(r"\1_***", text)
    text = _WEBHOOK_SECRET.sub(r"\1_***", text)
    text = _QUERY_TOKEN.sub(r"\1***", text)
    text = _EMAIL.sub(r"\1***@\2", text)
    text = _MOBILE.sub(r"\1****\3", text)
    return _LANDLINE.sub(r"\1-****-\3", text)


class RedactingFilter(logging.Filter):
    """Masks the formatted message of every record passing through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the hub and uvicorn, every handler redacting."""
    handler = {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactingFilter}},
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)-7s %(name)s: %(message)s"}},
        "handlers": {"stderr": {**handler, "stream": "ext://sys.stderr"}},
        "loggers": {
            "hub": {"level": level.upper(), "handlers": ["stderr"], "propagate": False},
            "connectors": {"level": level.upper(), "handlers": ["stderr"], "propagate": False},
            "webhooks": {"level": level.upper(), "handlers": ["stderr"], "propagate": False},
            "uvicorn": {"level": level.upper(), "handlers": ["stderr"], "propagate": False},
            "uvicorn.access": {"level": level.upper(), "handlers": ["stderr"], "propagate": False},
        },
        "root": {"level": "WARNING", "handlers": ["stderr"]},
    }
