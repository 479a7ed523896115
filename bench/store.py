"""Benchmark: upserting 50,000 customers in batches (half new, a quarter changed, a quarter unchanged).

Run:  .venv/bin/python bench/store.py [--backend sqlite|postgresql|both] [--batch 1000]

Reports records/s of the store's upsert path, and, as a baseline measured in the
same run, a bare executemany INSERT of the same number of rows into the customers
table (no crosswalk, identity, versions or events). The ratio is what the
store's bookkeeping costs relative to the cheapest possible write.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime

import psycopg
from sqlalchemy import Engine, insert, text

from hub.db.engine import create_db_engine
from hub.db.migrate import upgrade
from hub.store import SourceRecord, upsert_records
from hub.store.tables import CustomerRecord

TOTAL = 50_000
POSTGRES_ADMIN = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def customer(i: int, revision: int = 0) -> SourceRecord:
    fields = {
        "name": f"华东机械制造有限公司 {i}",
        "tax_id": f"91310000MA{i:08d}",
        "phones": [f"+86138{i:08d}"],
        "emails": [f"buyer{i}@example.cn"],
        "address": f"上海市浦东新区张江路 {i} 号" + (f" {revision}" if revision else ""),
        "tags": ["ERP"],
        "status": "active",
    }
    return SourceRecord("kingdee", "BD_Customer", f"C{i:08d}", fields, raw={"FNumber": f"C{i:08d}", **fields})


def workload() -> tuple[list[SourceRecord], list[SourceRecord]]:
    """Existing half loaded first; then 50,000: 25,000 new, 12,500 changed, 12,500 unchanged, shuffled by batch."""
    existing = TOTAL // 2
    preload = [customer(i) for i in range(existing)]
    changed = [customer(i, revision=1) for i in range(0, existing // 2)]
    unchanged = [customer(i) for i in range(existing // 2, existing)]
    new = [customer(i) for i in range(existing, existing + TOTAL // 2)]
    measured: list[SourceRecord] = []
    for k in range(0, TOTAL // 2, 2):  # interleave so each batch mixes all three kinds
        measured += [new[k], new[k + 1], changed[k // 2], unchanged[k // 2]]
    return preload, measured


def run_upserts(engine: Engine, records: list[SourceRecord], batch: int) -> float:
    start = time.perf_counter()
    for offset in range(0, len(records), batch):
        with engine.begin() as conn:
            upsert_records(conn, "customer", records[offset : offset + batch])
    return time.perf_counter() - start


def run_baseline(engine: Engine, count: int, batch: int) -> float:
    """Bare executemany INSERT into the customers table (then removed)."""
    now = datetime.now(UTC)
    table = CustomerRecord.__table__  # type: ignore[attr-defined]
    rows = [
        {"id": f"bench_{i}", "version": 1, "content_hash": "0" * 64, "created_at": now, "updated_at": now,
         "name": f"华东机械制造有限公司 {i}", "tax_id": f"X{i}", "phones": [f"+86138{i:08d}"],
         "emails": [f"buyer{i}@example.cn"], "address": "上海", "tags": ["ERP"], "status": "active"}
        for i in range(count)
    ]
    start = time.perf_counter()
    for offset in range(0, count, batch):
        with engine.begin() as conn:
            conn.execute(insert(table), rows[offset : offset + batch])
    elapsed = time.perf_counter() - start
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM customers WHERE id LIKE 'bench_%'"))
    return elapsed


def bench(engine: Engine, label: str, batch: int) -> dict[str, float]:
    upgrade(engine)
    preload, measured = workload()
    baseline = run_baseline(engine, len(measured), batch)
    preload_s = run_upserts(engine, preload, batch)
    upsert_s = run_upserts(engine, measured, batch)
    result = {
        "upsert_rps": len(measured) / upsert_s,
        "preload_rps": len(preload) / preload_s,
        "baseline_rps": len(measured) / baseline,
    }
    result["ratio"] = result["upsert_rps"] / result["baseline_rps"]
    print(
        f"{label:11s} upsert {result['upsert_rps']:8.0f} rec/s (mixed 50k) | all-new preload "
        f"{result['preload_rps']:8.0f} rec/s | bare INSERT baseline {result['baseline_rps']:8.0f} rows/s | "
        f"upsert/baseline = {result['ratio']:.2f}"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            engine = create_db_engine(f"sqlite:///{tmp}/bench.db")
            bench(engine, "SQLite", args.batch)
            engine.dispose()
    if args.backend in ("postgresql", "both"):
        name = f"hub_bench_{uuid.uuid4().hex[:8]}"
        admin = POSTGRES_ADMIN
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            engine = create_db_engine(admin.rsplit("/", 1)[0] + f"/{name}")
            bench(engine, "PostgreSQL", args.batch)
            engine.dispose()
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
