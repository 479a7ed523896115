"""Read routes for one canonical entity; ``entity_router`` is called once per entity in ENTITIES."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from hub.api.deps import ReadConn
from hub.api.schemas import ItemList, RecordPage
from hub.db.paging import MAX_PAGE
from hub.errors import InvalidRequestError
from hub.store.entities import ENTITIES, Entity
from hub.store.records import find_by_ref, get_record, list_records, merge_history, record_versions

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Records per page.")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page.")]
Search = Annotated[str | None, Query(description="Case-insensitive substring of the entity's search fields.")]
UpdatedSince = Annotated[
    AwareDatetime | None,
    Query(description="Records updated at or after this ISO 8601 time with offset, e.g. 2024-05-01T08:00:00Z."),
]
System = Annotated[str | None, Query(description="Crosswalk lookup: the source system (with external_id).")]
ExternalId = Annotated[str | None, Query(description="Crosswalk lookup: the record's id in that system.")]
ObjectName = Annotated[str | None, Query(alias="object", description="Crosswalk lookup: the system's object.")]


def entity_routers() -> list[APIRouter]:
    return [entity_router(entity) for entity in ENTITIES.values()]


def entity_router(entity: Entity) -> APIRouter:
    """List/lookup, detail and versions for ``entity`` (plus merge history for customers)."""
    router = APIRouter(prefix=f"/{entity.plural}", tags=[entity.plural])
    has_customer_id = "customer_id" in entity.field_names

    @router.get("", name=f"list_{entity.name}", summary=f"List {entity.plural}, or find one by a system's id")
    def list_or_lookup(
        conn: ReadConn,
        limit: Limit = 50,
        cursor: Cursor = None,
        q: Search = None,
        status: str | None = None,
        customer_id: str | None = None,
        updated_since: UpdatedSince = None,
        include_deleted: bool = False,
        system: System = None,
        external_id: ExternalId = None,
        object_name: ObjectName = None,
    ) -> RecordPage:
        if system is not None or external_id is not None:
            if not system or not external_id:
                missing = "external_id" if system else "system"
                raise InvalidRequestError(
                    "a crosswalk lookup needs both system and external_id",
                    details=[{"location": "query", "field": missing, "reason": "required for a crosswalk lookup"}],
                )
            found = find_by_ref(conn, entity.name, system, external_id, object_name)
            return RecordPage(items=[found] if found else [], next_cursor=None)
        if customer_id is not None and not has_customer_id:
            raise InvalidRequestError(
                f"{entity.plural} have no customer_id to filter on",
                details=[{"location": "query", "field": "customer_id", "reason": f"not a field of {entity.name}"}],
            )
        page = list_records(
            conn, entity.name, q=q, status=status, customer_id=customer_id, updated_since=updated_since,
            include_deleted=include_deleted, cursor=cursor, limit=limit,
        )
        return RecordPage(items=page.items, next_cursor=page.next_cursor)

    @router.get("/{record_id}", name=f"get_{entity.name}", summary=f"One {entity.name} with its refs and raw records")
    def detail(conn: ReadConn, record_id: str) -> dict[str, Any]:
        return get_record(conn, entity.name, record_id, with_raw=True)

    @router.get("/{record_id}/versions", name=f"{entity.name}_versions", summary="Every version, oldest first")
    def versions(conn: ReadConn, record_id: str) -> ItemList:
        get_record(conn, entity.name, record_id)  # 404 for an unknown id rather than an empty list
        return ItemList(items=record_versions(conn, entity.name, record_id))

    if entity.name == "customer":

        @router.get("/{record_id}/merges", name="customer_merges", summary="Merges into or out of this customer")
        def merges(conn: ReadConn, record_id: str) -> ItemList:
            get_record(conn, entity.name, record_id)
            return ItemList(items=merge_history(conn, record_id))

    return router
