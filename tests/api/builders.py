"""Small builders that keep API tests readable: keys, and source records written through the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from hub.security.api_keys import create_api_key
from hub.store import SourceRecord, UpsertResult, upsert_records


def bearer(engine: Engine, role: str, name: str | None = None) -> dict[str, str]:
    """Create a key and return the Authorization header that carries it."""
    with engine.begin() as conn:
        _row, key = create_api_key(conn, role, name or f"{role}-key")
    return {"Authorization": f"Bearer {key}"}


def upsert(engine: Engine, entity: str, *records: SourceRecord, now: datetime | None = None) -> list[UpsertResult]:
    with engine.begin() as conn:
        return upsert_records(conn, entity, list(records), now=now)


def kingdee_customer(number: str, **fields: Any) -> SourceRecord:
    fields.setdefault("name", f"客户 {number}")
    return SourceRecord("kingdee", "BD_Customer", number, fields, raw={"FNumber": number, "FName": fields["name"]})


def wecom_contact(external_userid: str, **fields: Any) -> SourceRecord:
    return SourceRecord("wecom", "external_contact", external_userid, fields, raw={"external_userid": external_userid})


def kingdee_order(number: str, **fields: Any) -> SourceRecord:
    fields.setdefault("number", number)
    return SourceRecord("kingdee", "SAL_SaleOrder", number, fields, raw={"FBillNo": number})
