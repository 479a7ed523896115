"""Finding records by canonical id and through the crosswalk."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from hub.errors import NotFoundError
from hub.store import find_by_ref, get_record, list_records, resolve_refs
from tests.store.helpers import kingdee_customer, upsert, wecom_contact


def test_find_by_any_systems_id(engine: Engine) -> None:
    [erp] = upsert(engine, "customer", kingdee_customer("C001", tax_id="91310000MA1FL0001X"))
    upsert(engine, "customer", wecom_contact("wo1", tax_id="91310000MA1FL0001X"))

    with engine.connect() as conn:
        by_erp = find_by_ref(conn, "customer", "kingdee", "C001")
        by_wecom = find_by_ref(conn, "customer", "wecom", "wo1", "external_contact")
        missing = find_by_ref(conn, "customer", "wecom", "nobody")

    assert by_erp is not None
    assert by_wecom is not None
    assert by_erp["id"] == by_wecom["id"] == erp.record_id
    assert missing is None


def test_resolve_many_external_ids_in_one_call(engine: Engine) -> None:
    results = upsert(engine, "customer", *(kingdee_customer(f"C{i:03d}") for i in range(700)))

    with engine.connect() as conn:
        found = resolve_refs(conn, "customer", "kingdee", ["C000", "C699", "C999"])

    assert found == {"C000": results[0].record_id, "C699": results[699].record_id}


def test_unknown_id_and_unknown_entity_are_clear_errors(engine: Engine) -> None:
    with engine.connect() as conn:
        with pytest.raises(NotFoundError, match="no customer with id 'cus_nope'"):
            get_record(conn, "customer", "cus_nope")
        with pytest.raises(NotFoundError, match="did you mean 'customer'"):
            get_record(conn, "customers", "x")


def test_list_pages_with_a_cursor_and_searches_by_name(engine: Engine) -> None:
    upsert(engine, "customer", *(kingdee_customer(f"C{i}", name=f"华东机械 {i}") for i in range(5)),
           kingdee_customer("X1", name="北方重工"))

    with engine.connect() as conn:
        page1 = list_records(conn, "customer", limit=4)
        page2 = list_records(conn, "customer", limit=4, cursor=page1.next_cursor)
        found = list_records(conn, "customer", q="重工")

    assert len(page1.items) == 4
    assert page1.next_cursor is not None
    assert len(page2.items) == 2
    assert page2.next_cursor is None
    assert {r["id"] for r in page1.items}.isdisjoint({r["id"] for r in page2.items})
    assert [r["name"] for r in found.items] == ["北方重工"]
