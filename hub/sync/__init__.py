"""The sync engine: pulls a connector's entity into the store, a page per transaction.

::

    hub.yaml ─► plan (connector instance, stream, mapping)          plan.py
    connector.read() pages ─► land (map, attach, upsert)             engine.py, landing.py
        ─► quarantine, seen_at, stream state, run counts: one commit quarantine.py, deletions.py, state.py, runs.py
    full runs ─► tombstones, held back by the deletion guard         deletions.py
    jobs: enqueue (deduplicated), worker handler, foreground run     jobs.py
    scheduler: when each entity is due (one leader on PostgreSQL)    scheduler.py, schedules.py
    quarantine retries with the current mapping                      retry.py

Import from the modules (``from hub.sync.engine import run_sync``): this package stays
empty so that importing its tables (``hub.db.schema``, migrations) loads nothing else.
See docs/sync.md.
"""
