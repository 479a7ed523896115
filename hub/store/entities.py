"""The registry of canonical entities: name, table, fields model, id prefix and transition events."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import JSON, Table

from hub.canonical.models import (
    CanonicalFields,
    ContractFields,
    CustomerFields,
    OrderFields,
    ProductionOrderFields,
    ProjectFields,
    TicketFields,
)
from hub.errors import NotFoundError
from hub.store.tables import (
    ContractRecord,
    CustomerRecord,
    OrderRecord,
    ProductionOrderRecord,
    ProjectRecord,
    RecordColumns,
    TicketRecord,
)


@dataclass(frozen=True)
class Entity:
    name: str
    plural: str
    id_prefix: str
    fields_model: type[CanonicalFields]
    record_model: type[RecordColumns]
    search_fields: tuple[str, ...]
    # field -> value -> event type fired when the field becomes that value
    transitions: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def table(self) -> Table:
        table = self.record_model.__table__  # type: ignore[attr-defined]
        assert isinstance(table, Table)
        return table

    @cached_property
    def field_names(self) -> tuple[str, ...]:
        return tuple(self.fields_model.model_fields)

    @cached_property
    def json_fields(self) -> frozenset[str]:
        """Fields stored in JSON columns: written in their JSON form (decimals as text)."""
        return frozenset(name for name in self.field_names if isinstance(self.table.c[name].type, JSON))

    def validate(self, fields: Any) -> CanonicalFields:
        return self.fields_model.model_validate(fields)


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity("customer", "customers", "cus", CustomerFields, CustomerRecord, ("name", "tax_id")),
        Entity(
            "order",
            "orders",
            "ord",
            OrderFields,
            OrderRecord,
            ("number", "title"),
            {"status": {"confirmed": "order.confirmed"}, "payment_status": {"paid": "order.paid"}},
        ),
        Entity(
            "ticket", "tickets", "tkt", TicketFields, TicketRecord, ("subject",),
            {"status": {"resolved": "ticket.resolved"}},
        ),
        Entity(
            "contract", "contracts", "con", ContractFields, ContractRecord, ("number",),
            {"status": {"signed": "contract.signed"}},
        ),
        Entity("project", "projects", "prj", ProjectFields, ProjectRecord, ("code", "name")),
        Entity(
            "production_order", "production-orders", "mo", ProductionOrderFields, ProductionOrderRecord,
            ("number", "sku"),
        ),
    )
}


def get_entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        close = difflib.get_close_matches(name, ENTITIES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise NotFoundError(
            f"unknown entity {name!r}{hint}", details={"known": sorted(ENTITIES)}
        ) from None
