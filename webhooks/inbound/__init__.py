"""Inbound webhooks: verify, persist before answering, deduplicate, process later."""
