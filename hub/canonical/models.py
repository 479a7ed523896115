"""The canonical entities: the fields every system's record is mapped into.

Each ``*Fields`` class is the validated, partial set of canonical fields one source
system contributes (every field optional, unknown fields rejected). The store's
tables (``hub.store.tables``) inherit these fields as typed columns.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict
from sqlalchemy import JSON, String, Text
from sqlmodel import Field, SQLModel

from hub.canonical.types import Amount, Timestamp
from hub.db.types import Money, UTCDateTime

OrderStatus = Literal["draft", "confirmed", "in_production", "shipped", "completed", "cancelled"]
PaymentStatus = Literal["unpaid", "partial", "paid"]
TicketStatus = Literal["open", "pending", "resolved", "closed"]
TicketChannel = Literal["mail", "wecom", "dingtalk", "api"]
ContractStatus = Literal["draft", "approving", "signed", "void"]


class CanonicalFields(SQLModel):
    """Shared configuration: strict about unknown fields, whitespace kept as given."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)  # type: ignore[assignment]

    note: str | None = Field(default=None, sa_type=Text)
    attributes: dict[str, Any] | None = Field(
        default=None, sa_type=JSON, description="Free-form extra fields a deployment needs."
    )


class CustomerFields(CanonicalFields):
    name: str | None = Field(default=None, sa_type=String(300), index=True)
    tax_id: str | None = Field(default=None, sa_type=String(32), description="统一社会信用代码", index=True)
    phones: list[str] | None = Field(default=None, sa_type=JSON)
    emails: list[str] | None = Field(default=None, sa_type=JSON)
    address: str | None = Field(default=None, sa_type=Text)
    tags: list[str] | None = Field(default=None, sa_type=JSON)
    owner: str | None = Field(default=None, sa_type=String(200))
    status: str | None = Field(default=None, sa_type=String(40))


class OrderLine(SQLModel):
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    sku: str | None = None
    name: str | None = None
    qty: Amount | None = None
    unit_price: Amount | None = None
    amount: Amount | None = None
    attributes: dict[str, Any] | None = None


class OrderFields(CanonicalFields):
    number: str | None = Field(default=None, sa_type=String(100), index=True)
    title: str | None = Field(default=None, sa_type=String(300))
    customer_id: str | None = Field(default=None, sa_type=String(40), index=True)
    status: OrderStatus | None = Field(default=None, sa_type=String(20))
    currency: str | None = Field(default=None, sa_type=String(3))
    total: Amount | None = Field(default=None, sa_type=Money)
    lines: list[OrderLine] | None = Field(default=None, sa_type=JSON)
    ordered_at: Timestamp | None = Field(default=None, sa_type=UTCDateTime)
    payment_status: PaymentStatus | None = Field(default=None, sa_type=String(20))
    paid_amount: Amount | None = Field(default=None, sa_type=Money)


class TicketFields(CanonicalFields):
    subject: str | None = Field(default=None, sa_type=String(500))
    description: str | None = Field(default=None, sa_type=Text)
    status: TicketStatus | None = Field(default=None, sa_type=String(20))
    priority: str | None = Field(default=None, sa_type=String(20))
    channel: TicketChannel | None = Field(default=None, sa_type=String(20))
    customer_id: str | None = Field(default=None, sa_type=String(40), index=True)
    assignee: str | None = Field(default=None, sa_type=String(200))
    sla_due_at: Timestamp | None = Field(default=None, sa_type=UTCDateTime)
    thread: list[str] | None = Field(default=None, sa_type=JSON, description="Message ids, oldest first.")


class ContractFields(CanonicalFields):
    number: str | None = Field(default=None, sa_type=String(100), index=True)
    customer_id: str | None = Field(default=None, sa_type=String(40), index=True)
    amount: Amount | None = Field(default=None, sa_type=Money)
    status: ContractStatus | None = Field(default=None, sa_type=String(20))
    signed_at: Timestamp | None = Field(default=None, sa_type=UTCDateTime)


class ProjectFields(CanonicalFields):
    code: str | None = Field(default=None, sa_type=String(100), index=True)
    name: str | None = Field(default=None, sa_type=String(300))
    customer_id: str | None = Field(default=None, sa_type=String(40), index=True)
    contract_id: str | None = Field(default=None, sa_type=String(40), index=True)
    manager: str | None = Field(default=None, sa_type=String(200))
    status: str | None = Field(default=None, sa_type=String(40))


class ProductionOrderFields(CanonicalFields):
    number: str | None = Field(default=None, sa_type=String(100), index=True)
    order_id: str | None = Field(default=None, sa_type=String(40), index=True)
    sku: str | None = Field(default=None, sa_type=String(100))
    qty: Amount | None = Field(default=None, sa_type=Money)
    status: str | None = Field(default=None, sa_type=String(40))
    planned_start: Timestamp | None = Field(default=None, sa_type=UTCDateTime)
    planned_finish: Timestamp | None = Field(default=None, sa_type=UTCDateTime)
