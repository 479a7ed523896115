"""Small builders that keep store tests readable."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from hub.events.outbox import list_events
from hub.events.tables import Event
from hub.store import SourceRecord, StoreRules, UpsertResult, upsert_records
from hub.store.tables import RecordVersion


def kingdee_customer(number: str, **fields: Any) -> SourceRecord:
    fields.setdefault("name", f"客户 {number}")
    return SourceRecord("kingdee", "BD_Customer", number, fields, raw={"FNumber": number, **fields})


def wecom_contact(external_userid: str, **fields: Any) -> SourceRecord:
    return SourceRecord("wecom", "external_contact", external_userid, fields, raw={"external_userid": external_userid})


def yonyou_merchant(code: str, **fields: Any) -> SourceRecord:
    return SourceRecord("yonyou", "merchant", code, fields, raw={"code": code})


def upsert(
    engine: Engine, entity: str, *records: SourceRecord, rules: StoreRules | None = None
) -> list[UpsertResult]:
    with engine.begin() as conn:
        return upsert_records(conn, entity, list(records), rules)


def events(engine: Engine, *types: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return list_events(conn, types=types, limit=1000)


def count(engine: Engine, model: type[Event] | type[RecordVersion]) -> int:
    table = model.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
