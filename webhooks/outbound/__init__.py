"""Outbound webhooks: subscriptions, fan-out with the events, signed delivery, retries, dead letters, replay.

::

    append_events ──(same transaction)──► deliveries ◄── Dispatcher claims (lease, SKIP LOCKED)
                                                           │ sign (Standard Webhooks v1 / v1a), POST via SSRF guard
                                                           ▼
                                        delivery_attempts (every attempt) ─► succeeded | retry | dead | cancelled

Errors raised here are the hub's own (:mod:`hub.errors`)::

    HubError
    ├── InvalidRequestError     bad subscription input (secret size, unresolvable host, unknown status)
    ├── ForbiddenError
    │   └── BlockedAddressError the URL resolves to an address the SSRF guard refuses
    ├── NotFoundError           no such subscription or delivery
    ├── ConflictError           name taken, hub.yaml owns it, delivery still pending, subscription disabled
    └── FatalError
        └── ConfigError         HUB_SECRET_KEY missing (no secret can be stored) or unable to decrypt
"""

from webhooks.outbound.config_sync import SyncReport, sync_subscriptions
from webhooks.outbound.deliveries import Purged, get_delivery, list_deliveries, purge, replay, replay_all
from webhooks.outbound.dispatcher import Dispatcher
from webhooks.outbound.policy import DeliveryPolicy, Verdict, verdict
from webhooks.outbound.subscriptions import (
    Endpoint,
    check_destination,
    create_subscription,
    delete_subscription,
    find_subscription,
    list_subscriptions,
    rotate_secret,
    set_enabled,
    subscription_document,
    update_subscription,
)

__all__ = [
    "DeliveryPolicy",
    "Dispatcher",
    "Endpoint",
    "Purged",
    "SyncReport",
    "Verdict",
    "check_destination",
    "create_subscription",
    "delete_subscription",
    "find_subscription",
    "get_delivery",
    "list_deliveries",
    "list_subscriptions",
    "purge",
    "replay",
    "replay_all",
    "rotate_secret",
    "set_enabled",
    "subscription_document",
    "sync_subscriptions",
    "update_subscription",
    "verdict",
]
