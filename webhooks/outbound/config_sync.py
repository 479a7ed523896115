"""hub.yaml's ``subscriptions:`` brought into the subscriptions table (create, update, disable).

- A new name is created (source ``hub.yaml``) with the ``secret`` hub.yaml references, or a
  generated one, returned in the report so ``hub subscriptions sync`` can show it once.
- A changed one is updated; a changed ``secret`` reference rotates (the old one keeps
  signing for ``webhooks.rotation_overlap``).
- ``enabled: false`` disables it; ``enabled: true`` re-enables only what hub.yaml itself
  disabled (an endpoint the hub disabled after 410 or days of failures stays off until
  an admin enables it, or hub.yaml says ``false`` and then ``true`` again).
- A name removed from hub.yaml is disabled, not deleted: its deliveries are kept.
- A URL the SSRF guard refuses is saved disabled, with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from hub.errors import HubError
from hub.security.secrets import SecretBox
from hub.workspace.config import SubscriptionConfig, WorkspaceConfig
from webhooks.outbound.models import SubscriptionUpdate
from webhooks.outbound.subscriptions import (
    create_subscription,
    decrypt_headers,
    require_box,
    rotate_secret,
    set_enabled,
    update_subscription,
)
from webhooks.outbound.tables import SUBSCRIPTIONS

log = logging.getLogger(__name__)

CONFIG_REASONS = ("disabled in hub.yaml", "removed from hub.yaml")
BLOCKED_PREFIX = "url refused by the SSRF guard: "

Check = Callable[[str], None]
"""Raises when the URL may not be called (:func:`~webhooks.outbound.subscriptions.check_destination`)."""


@dataclass
class SyncReport:
    created: dict[str, str | None] = field(default_factory=dict)  # name -> generated secret (None: from hub.yaml)
    updated: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    enabled: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.disabled or self.enabled)


def sync_subscriptions(
    conn: Connection, box: SecretBox | None, config: WorkspaceConfig, *, now: datetime, check: Check
) -> SyncReport:
    """Make the table match hub.yaml (in the caller's transaction)."""
    report = SyncReport()
    if not config.subscriptions and not _has_config_rows(conn):
        return report
    if config.subscriptions:
        require_box(box)
    existing = {r["name"]: dict(r) for r in conn.execute(select(SUBSCRIPTIONS)).mappings()}
    overlap = timedelta(seconds=config.webhooks.rotation_overlap)
    for name, spec in config.subscriptions.items():
        row = existing.get(name)
        blocked = _blocked(spec.url, check) if row is None or row["url"] != spec.url or _was_blocked(row) else None
        if blocked:
            report.problems[name] = blocked
        if row is None:
            _, secret = create_subscription(conn, box, name, spec, now=now, source="hub.yaml",
                                            disabled_reason=BLOCKED_PREFIX + blocked if blocked else None)
            report.created[name] = None if spec.secret else secret
            continue
        _update(conn, box, row, spec, now=now, overlap=overlap, blocked=blocked, report=report)
    for name, row in existing.items():
        if row["source"] == "hub.yaml" and name not in config.subscriptions and row["enabled"]:
            set_enabled(conn, box, row["id"], False, now=now, reason="removed from hub.yaml")
            report.disabled.append(name)
    return report


def sync_subscriptions_safely(
    conn_factory: Callable[[], AbstractContextManager[Connection]],
    box: SecretBox | None,
    config: WorkspaceConfig,
    *,
    now: datetime,
    check: Check,
) -> SyncReport:
    """:func:`sync_subscriptions` in its own transaction, retried once when another process raced us."""
    for attempt in (1, 2):
        try:
            with conn_factory() as conn:
                return sync_subscriptions(conn, box, config, now=now, check=check)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _update(
    conn: Connection,
    box: SecretBox | None,
    row: dict[str, Any],
    spec: SubscriptionConfig,
    *,
    now: datetime,
    overlap: timedelta,
    blocked: str | None,
    report: SyncReport,
) -> None:
    name = row["name"]
    if row["source"] != "hub.yaml":
        log.warning("subscription %s, created through the API, is now defined in hub.yaml: hub.yaml wins", name)
        conn.execute(update(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == row["id"]).values(source="hub.yaml"))
        row["source"] = "hub.yaml"
    wanted = {"url": spec.url, "events": list(spec.events), "description": spec.description,
              "filter": spec.filter, "ordered": spec.ordered, "concurrency": spec.concurrency}
    changes = {key: value for key, value in wanted.items() if row[key] != value}
    if decrypt_headers(row["headers"], require_box(box)) != spec.headers:
        changes["headers"] = spec.headers
    if spec.ed25519 != (row["signing_key"] is not None):
        changes["ed25519"] = spec.ed25519
    if changes:
        update_subscription(conn, box, row["id"], SubscriptionUpdate(**changes), now=now, managed_by_config=True)
        report.updated.append(name)
    if spec.secret is not None:
        wanted_secret = spec.secret.get_secret_value()
        if require_box(box).decrypt(row["secret"]) != wanted_secret:
            rotate_secret(conn, box, row["id"], overlap=overlap, now=now, secret=wanted_secret)
            if name not in report.updated:
                report.updated.append(name)
    reason = row["disabled_reason"] or ""
    if blocked:
        if row["enabled"] or reason != BLOCKED_PREFIX + blocked:
            set_enabled(conn, box, row["id"], False, now=now, reason=BLOCKED_PREFIX + blocked)
            report.disabled.append(name)
    elif not spec.enabled:
        if row["enabled"] or reason != "disabled in hub.yaml":  # hub.yaml takes over: `true` later enables it
            set_enabled(conn, box, row["id"], False, now=now, reason="disabled in hub.yaml")
        if row["enabled"]:
            report.disabled.append(name)
    elif not row["enabled"] and (reason in CONFIG_REASONS or reason.startswith(BLOCKED_PREFIX)):
        set_enabled(conn, box, row["id"], True, now=now)
        report.enabled.append(name)


def _blocked(url: str, check: Check) -> str | None:
    try:
        check(url)
    except HubError as exc:
        if exc.code == "blocked_address":
            return exc.message
        log.warning("subscription URL %s not checked now (%s); it is checked again on every connection", url,
                    exc.message)
    return None


def _was_blocked(row: dict[str, Any]) -> bool:
    return bool(row["disabled_reason"] and str(row["disabled_reason"]).startswith(BLOCKED_PREFIX))


def _has_config_rows(conn: Connection) -> bool:
    query = select(SUBSCRIPTIONS.c.id).where(SUBSCRIPTIONS.c.source == "hub.yaml").limit(1)
    return conn.execute(query).first() is not None
