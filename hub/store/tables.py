"""Tables of the canonical store: one per entity, the crosswalk, versions and identity review."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.canonical.models import (
    ContractFields,
    CustomerFields,
    OrderFields,
    ProductionOrderFields,
    ProjectFields,
    TicketFields,
)
from hub.db.types import UTCDateTime, json_type


class RecordColumns(SQLModel):
    """Columns every canonical record has besides its entity's fields."""

    id: str = Field(primary_key=True, sa_type=String(40))
    version: int = Field(default=1)
    content_hash: str = Field(sa_type=String(64))
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime, index=True)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    merged_into: str | None = Field(default=None, sa_type=String(40))


class CustomerRecord(CustomerFields, RecordColumns, table=True):
    __tablename__ = "customers"


class OrderRecord(OrderFields, RecordColumns, table=True):
    __tablename__ = "orders"


class TicketRecord(TicketFields, RecordColumns, table=True):
    __tablename__ = "tickets"


class ContractRecord(ContractFields, RecordColumns, table=True):
    __tablename__ = "contracts"


class ProjectRecord(ProjectFields, RecordColumns, table=True):
    __tablename__ = "projects"


class ProductionOrderRecord(ProductionOrderFields, RecordColumns, table=True):
    __tablename__ = "production_orders"


class RecordRef(SQLModel, table=True):
    """The crosswalk: one row per (entity, system, object, external_id), pointing at a canonical record.

    It also keeps what that source last said: its canonical fields (the input of
    survivorship) and the raw record as the vendor sent it.
    """

    __tablename__ = "record_refs"
    __table_args__ = (
        # external_id first: it is the selective column, and lookups give many of them at once.
        UniqueConstraint("external_id", "system", "object", "entity", name="uq_record_refs_source"),
        Index("ix_record_refs_record", "record_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(sa_type=String(40))
    record_id: str = Field(sa_type=String(40))
    system: str = Field(sa_type=String(60))
    object: str = Field(sa_type=String(100))
    external_id: str = Field(sa_type=String(200))
    fields: dict[str, Any] = Field(sa_type=json_type())
    fields_hash: str = Field(sa_type=String(64))
    raw: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Which mapping (and which version of it, by hash) produced ``fields`` from ``raw``:
    # ``hub remap`` re-applies a changed mapping to the stored raw records.
    mapping: str | None = Field(default=None, sa_type=String(200), index=True)
    mapping_hash: str | None = Field(default=None, sa_type=String(64))
    # When a full sync last saw this source record: refs a full run did not see were deleted at the source.
    seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RecordVersion(SQLModel, table=True):
    """Every version of every record, for diffs and audits."""

    __tablename__ = "record_versions"
    __table_args__ = (UniqueConstraint("record_id", "version", name="uq_record_versions_record_version"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(sa_type=String(40))
    record_id: str = Field(sa_type=String(40))
    version: int
    data: dict[str, Any] = Field(sa_type=json_type())
    changes: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    source_system: str | None = Field(default=None, sa_type=String(60))
    created_at: datetime = Field(sa_type=UTCDateTime)


class IdentityKey(SQLModel, table=True):
    """Normalised identifying values (tax id, phone, email, name) of each customer, for matching."""

    __tablename__ = "identity_keys"
    __table_args__ = (
        Index("ix_identity_keys_lookup", "value", "kind", "entity"),  # value first: the selective column
        Index("ix_identity_keys_record", "record_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(sa_type=String(40))
    record_id: str = Field(sa_type=String(40))
    kind: str = Field(sa_type=String(20))
    value: str = Field(sa_type=String(300))


class IdentityMatch(SQLModel, table=True):
    """A possible duplicate the store did not merge on its own: held for a person to decide."""

    __tablename__ = "identity_matches"
    __table_args__ = (Index("ix_identity_matches_status", "status"),)

    id: str = Field(primary_key=True, sa_type=String(40))
    entity: str = Field(sa_type=String(40))
    record_id: str = Field(sa_type=String(40), description="The record kept apart pending review.")
    candidate_ids: list[str] = Field(sa_type=json_type())
    rule: str = Field(sa_type=String(20), description="Which key matched: tax_id, phone, email, name.")
    value: str = Field(sa_type=String(300))
    reason: str = Field(sa_type=String(300))
    status: str = Field(default="pending", sa_type=String(20))
    created_at: datetime = Field(sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = Field(default=None, sa_type=String(100))
    merged_into: str | None = Field(default=None, sa_type=String(40))


class MergeHistory(SQLModel, table=True):
    """Each time a source's record joined an existing canonical record, or two records were merged."""

    __tablename__ = "merge_history"
    __table_args__ = (Index("ix_merge_history_survivor", "survivor_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(sa_type=String(40))
    survivor_id: str = Field(sa_type=String(40))
    merged_id: str | None = Field(default=None, sa_type=String(40))
    refs: list[dict[str, Any]] = Field(sa_type=json_type())
    rule: str = Field(sa_type=String(40), description="tax_id, phone, email, name or manual.")
    value: str | None = Field(default=None, sa_type=String(300))
    actor: str | None = Field(default=None, sa_type=String(100))
    created_at: datetime = Field(sa_type=UTCDateTime)
