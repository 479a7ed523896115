"""The canonical store: one upsert path, the crosswalk, identity resolution and reads.

``Store`` wraps an engine for callers that do not manage transactions themselves;
callers that must commit other rows atomically with the records (a sync run's
cursor, an inbound webhook's acknowledgement) call the functions with their
own connection.
"""

from hub.store.facade import Store
from hub.store.records import Page, find_by_ref, get_record, list_records, resolve_refs
from hub.store.rules import EntityRules, StoreRules
from hub.store.upsert import SourceRecord, UpsertResult, merge_records, upsert_records

__all__ = [
    "EntityRules",
    "Page",
    "SourceRecord",
    "Store",
    "StoreRules",
    "UpsertResult",
    "find_by_ref",
    "get_record",
    "list_records",
    "merge_records",
    "resolve_refs",
    "upsert_records",
]
