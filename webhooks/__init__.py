"""Webhooks: ``inbound/`` (receive, verify, persist, dedupe) and ``outbound/`` (sign, deliver, retry, replay)."""
