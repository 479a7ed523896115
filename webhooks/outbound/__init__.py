"""Outbound webhooks: Standard Webhooks signing, subscriptions, delivery, retries, dead letters, replay."""
