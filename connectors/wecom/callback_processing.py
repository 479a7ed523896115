"""The ``wecom`` channel's processor: stored callback events -> fetch jobs and tombstones.

Runs in the inbound batch's transaction and never calls WeCom (it holds the write lock);
events that need WeCom's current record queue a ``fetch`` job instead::

    change_external_contact
        add_external_contact, edit_external_contact, add_half_external_contact
                                      -> fetch the customer (externalcontact/get)
        del_external_contact          an employee removed the contact;
        del_follow_user               the contact removed the employee:
                                      -> other followers left (per the stored record): fetch the customer again
                                         (its owner, tags and phones change); none: tombstone the customer
    sys_approval_change               -> fetch the contract (getapprovaldetail) when its TemplateId is in
                                         approval_templates; other templates are no-ops
    anything else                     -> processed as a no-op, the result says why

``message.source`` is the connector's name; the customer/contract mappings are the ones
``connectors.<name>.entities`` names, so callbacks and syncs store the same records.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from connectors.callback_crypto import CallbackRejected
from connectors.wecom.callback_xml import event_type, parse_event
from connectors.wecom.settings import WeComSettings
from hub.errors import ConfigError, NotFoundError
from hub.store.tables import RecordRef
from hub.sync.fetch import enqueue_fetch, tombstone_external
from hub.sync.plan import connector_settings, plan_stream
from webhooks.inbound.context import ProcessingContext
from webhooks.inbound.processing import Outcome, StoredMessage, processed, quarantined

REFS = RecordRef.__table__  # type: ignore[attr-defined]
REFRESH = frozenset({"add_external_contact", "edit_external_contact", "add_half_external_contact"})
REMOVED = frozenset({"del_external_contact", "del_follow_user"})


def process_callbacks(
    conn: Connection, messages: Sequence[StoredMessage], context: ProcessingContext
) -> list[Outcome]:
    outcomes = []
    for message in messages:
        try:
            event = parse_event(message.body)
        except CallbackRejected as exc:
            outcomes.append(quarantined(message.id, "payload", exc.message))
            continue
        try:
            result = _handle(conn, message, event, context)
        except (ConfigError, NotFoundError) as exc:
            outcomes.append(quarantined(message.id, "config", f"connector {message.source}: {exc.message}",
                                        event=event_type(event)))
            continue
        outcomes.append(processed(message.id, {"event": event_type(event), **result}))
    return outcomes


def _handle(conn: Connection, message: StoredMessage, event: dict[str, Any], context: ProcessingContext
            ) -> dict[str, Any]:
    config = context.workspace.config.connectors.get(message.source)
    if config is None or config.type != "wecom":
        raise ConfigError(f"no wecom connector named {message.source!r} in hub.yaml any more")
    kind = event.get("Event") if event.get("MsgType") == "event" else None
    if kind == "change_external_contact":
        return _contact_changed(conn, message.source, event, context)
    if kind == "sys_approval_change":
        return _approval_changed(conn, message.source, event, context)
    return {"ignored": "the hub does not use this event"}


def _not_synced(connector: str, entity: str, context: ProcessingContext) -> dict[str, Any] | None:
    if entity in context.workspace.config.connectors[connector].entities:
        return None
    return {"ignored": f"connector {connector} does not sync {entity} records (no entities.{entity} in hub.yaml)"}


def _contact_changed(conn: Connection, connector: str, event: dict[str, Any], context: ProcessingContext
                     ) -> dict[str, Any]:
    change, contact, user = event.get("ChangeType"), event.get("ExternalUserID"), event.get("UserID")
    skipped = _not_synced(connector, "customer", context)
    if skipped is not None:
        return skipped
    if not contact or change not in REFRESH | REMOVED:
        return {"ignored": f"change {change!r} does not change a customer record"}
    if change in REMOVED and not _others_follow(conn, connector, str(contact), str(user or ""), context):
        count = tombstone_external(conn, context.workspace, connector, "customer", [str(contact)],
                                   now=context.now, registry=context.mappings)
        return {"tombstoned": {"entity": "customer", "ids": [contact], "count": count}}
    job = enqueue_fetch(conn, connector, "customer", [str(contact)])
    return {"fetch": {"entity": "customer", "ids": [contact], "job": job}}


def _others_follow(conn: Connection, connector: str, contact: str, user: str, context: ProcessingContext) -> bool:
    """Whether the stored record of ``contact`` has followers besides ``user`` (who just left it)."""
    plan = plan_stream(context.workspace, context.mappings, connector, "customer")
    raw = conn.execute(select(REFS.c.raw).where(
        REFS.c.external_id == contact, REFS.c.system == plan.system, REFS.c.object == plan.object,
        REFS.c.entity == "customer", REFS.c.deleted_at.is_(None))).scalar_one_or_none()
    followers = raw.get("follow_users") if isinstance(raw, dict) else None
    return any(isinstance(f, dict) and f.get("userid") not in (user, None) for f in followers or [])


def _approval_changed(conn: Connection, connector: str, event: dict[str, Any], context: ProcessingContext
                      ) -> dict[str, Any]:
    info = event.get("ApprovalInfo")
    info = info if isinstance(info, dict) else {}
    sp_no, template = info.get("SpNo"), info.get("TemplateId")
    if not sp_no:
        return {"ignored": "the approval event has no ApprovalInfo.SpNo"}
    settings = connector_settings(context.workspace, connector)
    templates = settings.approval_templates if isinstance(settings, WeComSettings) else []
    if template not in templates:
        return {"ignored": f"approval template {template!r} is not in approval_templates: not a contract"}
    skipped = _not_synced(connector, "contract", context)
    if skipped is not None:
        return skipped
    job = enqueue_fetch(conn, connector, "contract", [str(sp_no)])
    return {"fetch": {"entity": "contract", "ids": [sp_no], "job": job}, "sp_status": info.get("SpStatus")}
