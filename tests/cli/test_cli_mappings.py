"""hub mappings validate | preview | list, and hub remap."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from hub.db.engine import create_db_engine
from hub.mapping import load_mapping
from hub.store import SourceRecord, upsert_records
from tests.cli.hub_cli_harness import Hub
from tests.mapping_tools.helpers import (
    BROKEN_FIELDS,
    BROKEN_MAPPING,
    ORDER_MAPPING,
    customer_mapping,
    use_shipped_dir,
    write,
)


@pytest.fixture(autouse=True)
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_shipped_dir(monkeypatch, tmp_path / "shipped")


@pytest.fixture
def mappings(hub: Hub) -> Path:
    return hub.workspace / "mappings"


@pytest.fixture
def db(migrated: Hub) -> Iterator[Engine]:
    engine = create_db_engine(migrated.database_url)
    yield engine
    engine.dispose()


def _lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


# -- validate ---------------------------------------------------------------------------------


def test_validate_prints_every_error_of_every_file_with_its_line_and_exits_1(
    hub: Hub, mappings: Path, shipped: Path
) -> None:
    write(mappings, "fields.yaml", BROKEN_FIELDS)
    write(shipped, "broken.yaml", BROKEN_MAPPING)
    write(mappings, "good.yaml", customer_mapping())

    result = hub("mappings", "validate")

    assert result.exit_code == 1
    shipped_file = (shipped / "broken.yaml").resolve()
    problems = sorted([  # by file, then line
        f"{shipped_file}:5: entity: unknown entity 'custmer' (did you mean 'customer'?)",
        f"{shipped_file}:8: fields.name.pipe[1]: unknown step 'uper' (did you mean 'upper'?)",
        "mappings/fields.yaml:8: fields.name.pipe[1]: unknown step 'uper' (did you mean 'upper'?)",
        "mappings/fields.yaml:9: fields.nmae: unknown canonical field 'nmae' (did you mean 'name'?)",
    ])
    summary = "error: 4 problems in 2 files; 1 mapping (0 shipped, 1 workspace) valid"
    assert result.stdout.splitlines() == [*problems, summary]


def test_validate_given_files_checks_only_those(hub: Hub, tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.yaml", BROKEN_MAPPING)
    fields = write(tmp_path, "fields.yaml", BROKEN_FIELDS)

    result = hub("mappings", "validate", str(broken), str(fields), str(tmp_path / "missing.yaml"))

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{broken}:5: entity: unknown entity 'custmer' (did you mean 'customer'?)",
        f"{broken}:8: fields.name.pipe[1]: unknown step 'uper' (did you mean 'upper'?)",
        f"{fields}:8: fields.name.pipe[1]: unknown step 'uper' (did you mean 'upper'?)",
        f"{fields}:9: fields.nmae: unknown canonical field 'nmae' (did you mean 'name'?)",
        f"{tmp_path / 'missing.yaml'}: file not found",
        "error: 5 problems in 3 files; 0 mappings valid",
    ]


def test_validate_exits_0_on_good_files(hub: Hub, tmp_path: Path) -> None:
    files = [write(tmp_path, "customer.yaml", customer_mapping()), write(tmp_path, "order.yaml", ORDER_MAPPING)]

    result = hub("mappings", "validate", *map(str, files))

    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: 2 mappings\n"


def test_validate_counts_shipped_workspace_and_overriding_mappings(hub: Hub, mappings: Path, shipped: Path) -> None:
    write(shipped, "customer.yaml", customer_mapping())
    write(shipped, "order.yaml", ORDER_MAPPING)
    write(mappings, "customer.yaml", customer_mapping(name_pipe="[upper]"))

    result = hub("mappings", "validate")

    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: 2 mappings (1 shipped, 1 workspace; 1 overrides a shipped one)\n"


def test_validate_reports_a_name_used_by_two_files(hub: Hub, mappings: Path) -> None:
    write(mappings, "a.yaml", customer_mapping())
    write(mappings, "b.yaml", customer_mapping())

    result = hub("mappings", "validate")

    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "mappings/a.yaml:2: name: mapping name 'kd-customer' is also used by mappings/b.yaml; names must be unique",
        "mappings/b.yaml:2: name: mapping name 'kd-customer' is also used by mappings/a.yaml; names must be unique",
        "error: 2 problems in 2 files; 0 mappings (0 shipped, 0 workspace) valid",
    ]


# -- preview ----------------------------------------------------------------------------------


def test_preview_prints_one_json_object_per_record_and_exits_1_when_one_fails(hub: Hub, tmp_path: Path) -> None:
    mapping = write(tmp_path, "customer.yaml", customer_mapping())
    records = write(tmp_path, "records.json", json.dumps(
        [{"FNumber": "C1", "FName": " Acme "}, {"FNumber": "C2"}, {"FNumber": "C3", "FName": "Gamma"}]))

    result = hub("mappings", "preview", str(mapping), "--input", str(records))

    assert result.exit_code == 1
    ok1, bad, ok3 = _lines(result.stdout)
    assert ok1 == {"index": 0, "id": "C1", "ok": True, "fields": {"name": "Acme", "tax_id": None}}
    assert (bad["index"], bad["id"], bad["ok"], bad["error"]["field"]) == (1, "C2", False, "name")
    assert set(bad["error"]) == {"field", "value", "reason", "message"}
    assert ok3["ok"] is True
    assert "1 of 3 records failed" in result.stderr


def test_preview_exits_0_when_every_record_maps_and_reads_json_lines(hub: Hub, tmp_path: Path) -> None:
    mapping = write(tmp_path, "order.yaml", ORDER_MAPPING)
    records = write(tmp_path, "page.jsonl", "\n".join(json.dumps(r) for r in [
        {"FBillNo": "SO1", "FDocumentStatus": "draft", "FBillAllAmount": 10, "FDate": "2024-05-01 08:00:00"},
        {"FBillNo": "SO2", "FDocumentStatus": "confirmed", "FBillAllAmount": "2.5", "FDate": "2024-05-02 08:00:00"},
    ]))

    result = hub("mappings", "preview", str(mapping), "-i", str(records))

    assert result.exit_code == 0, result.output
    first, second = _lines(result.stdout)
    assert first["fields"]["total"] == "10.00"
    assert second["fields"]["ordered_at"] == "2024-05-02T08:00:00+08:00"


def test_preview_takes_the_name_of_a_loaded_mapping(hub: Hub, mappings: Path, tmp_path: Path) -> None:
    write(mappings, "customer.yaml", customer_mapping(name_pipe="[upper]"))
    records = write(tmp_path, "one.json", '{"FNumber": "C1", "FName": "acme"}')

    result = hub("mappings", "preview", "kd-customer", "--input", str(records))

    assert result.exit_code == 0, result.output
    assert _lines(result.stdout)[0]["fields"]["name"] == "ACME"


def test_preview_reverse_prints_vendor_records(hub: Hub, tmp_path: Path) -> None:
    mapping = write(tmp_path, "order.yaml", ORDER_MAPPING)
    records = write(tmp_path, "canonical.json", '[{"number": "SO1", "total": "12.50"}]')

    result = hub("mappings", "preview", str(mapping), "--input", str(records), "--reverse")

    assert result.exit_code == 0, result.output
    assert _lines(result.stdout) == [
        {"index": 0, "ok": True, "vendor": {"FBillNo": "SO1", "FBillAllAmount": "12.50"}, "not_reversed": ["currency"]}
    ]


def test_preview_without_a_database_leaves_lookups_unresolved_and_says_so(hub: Hub, tmp_path: Path) -> None:
    mapping = write(tmp_path, "customer.yaml", customer_mapping(owner_lookup=True))
    records = write(tmp_path, "one.json", '{"FNumber": "C2", "FName": "Beta", "FOwner": "C1"}')

    result = hub("mappings", "preview", str(mapping), "--input", str(records))

    assert result.exit_code == 0, result.output
    assert _lines(result.stdout)[0]["fields"]["owner"]["$lookup"]["value"] == "C1"
    assert "note: lookups are not resolved because there is no database at sqlite:///" in result.stderr


def test_preview_with_an_unmigrated_database_leaves_lookups_unresolved(hub: Hub, tmp_path: Path) -> None:
    Path(hub.database_url.removeprefix("sqlite:///")).touch()  # an empty database: no schema
    mapping = write(tmp_path, "customer.yaml", customer_mapping(owner_lookup=True))
    records = write(tmp_path, "one.json", '{"FNumber": "C2", "FName": "Beta", "FOwner": "C1"}')

    result = hub("mappings", "preview", str(mapping), "--input", str(records))

    assert result.exit_code == 0, result.output
    assert "is not migrated (run `hub db upgrade`)" in result.stderr


def test_preview_resolves_lookups_through_the_workspace_database(hub: Hub, db: Engine, tmp_path: Path) -> None:
    with db.begin() as conn:
        [owner] = upsert_records(conn, "customer", [SourceRecord("kingdee", "BD_Customer", "C1", {"name": "Acme"})])
    mapping = write(tmp_path, "customer.yaml", customer_mapping(owner_lookup=True))
    records = write(tmp_path, "two.json", json.dumps(
        [{"FNumber": "C2", "FName": "Beta", "FOwner": "C1"}, {"FNumber": "C3", "FName": "Gamma", "FOwner": "C404"}]))

    result = hub("mappings", "preview", str(mapping), "--input", str(records))

    assert result.exit_code == 1
    known, unknown = _lines(result.stdout)
    assert known["fields"]["owner"] == owner.record_id
    assert unknown["error"]["field"] == "owner"
    assert "note:" not in result.stderr


def test_preview_of_unreadable_input_is_an_error(hub: Hub, tmp_path: Path) -> None:
    mapping = write(tmp_path, "customer.yaml", customer_mapping())
    records = write(tmp_path, "bad.json", "{nope")

    result = hub("mappings", "preview", str(mapping), "--input", str(records))

    assert result.exit_code == 1
    assert result.stderr.startswith("error: not JSON: Expecting property name")
    assert "Traceback" not in result.output


def test_preview_of_an_unknown_mapping_suggests_one(hub: Hub, mappings: Path, tmp_path: Path) -> None:
    write(mappings, "customer.yaml", customer_mapping())
    records = write(tmp_path, "one.json", "{}")

    result = hub("mappings", "preview", "kd-custmer", "--input", str(records))

    assert result.exit_code == 1
    assert result.stderr == "error: no mapping named 'kd-custmer' (did you mean 'kd-customer'?)\n"


def test_preview_of_a_broken_file_prints_its_errors(hub: Hub, tmp_path: Path) -> None:
    mapping = write(tmp_path, "broken.yaml", BROKEN_MAPPING)
    records = write(tmp_path, "one.json", "{}")

    result = hub("mappings", "preview", str(mapping), "--input", str(records))

    assert result.exit_code == 2
    assert f"{mapping}:5: entity: unknown entity 'custmer'" in result.stderr


def test_preview_reads_records_from_stdin(hub: Hub, tmp_path: Path) -> None:
    from hub.cli.main import app

    mapping = write(tmp_path, "customer.yaml", customer_mapping())

    result = hub.runner.invoke(app, ["mappings", "preview", str(mapping), "--input", "-"],
                               input='{"FNumber": "C1", "FName": "Acme"}\n{"FNumber": "C2", "FName": "Beta"}\n')

    assert result.exit_code == 0, result.output
    assert [line["id"] for line in _lines(result.stdout)] == ["C1", "C2"]


# -- list -------------------------------------------------------------------------------------


def test_list_shows_name_entity_source_and_hash(hub: Hub, mappings: Path, shipped: Path) -> None:
    write(shipped, "customer.yaml", customer_mapping())
    write(shipped, "order.yaml", ORDER_MAPPING)
    write(mappings, "customer.yaml", customer_mapping(name_pipe="[upper]"))
    write(mappings, "broken.yaml", BROKEN_MAPPING)
    customer = load_mapping(mappings / "customer.yaml")
    order = load_mapping(shipped / "order.yaml")

    result = hub("mappings", "list")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "NAME         ENTITY    SYSTEM/OBJECT          SOURCE                         HASH",
        f"kd-customer  customer  kingdee/BD_Customer    workspace (overrides shipped)  {customer.hash[:12]}",
        f"kd-order     order     kingdee/SAL_SaleOrder  shipped                        {order.hash[:12]}",
    ]
    assert "1 mapping file failed to load (mappings/broken.yaml)" in result.stderr


def test_list_json_has_items_and_errors(hub: Hub, mappings: Path) -> None:
    write(mappings, "customer.yaml", customer_mapping())
    write(mappings, "broken.yaml", BROKEN_MAPPING)

    result = hub("mappings", "list", "--json")

    document = json.loads(result.stdout)
    assert [item["name"] for item in document["items"]] == ["kd-customer"]
    assert document["items"][0]["file"] == "mappings/customer.yaml"
    assert [error["file"] for error in document["errors"]] == ["mappings/broken.yaml"]
    assert document["errors"][0]["problems"][0]["line"] == 5


# -- remap ------------------------------------------------------------------------------------

RAWS = [
    {"FNumber": "C1", "FName": "acme", "FTaxNo": "91310000MA1FL8TQ3A"},
    {"FNumber": "C2", "FName": "BETA", "FTaxNo": "91440300MA5FUL9N1B"},
    {"FNumber": "C3", "FName": "gamma"},
]


@pytest.fixture
def stored(db: Engine, mappings: Path) -> dict[str, str]:
    """Three customers mapped by v1 of the workspace's kd-customer; then the file is changed to v2."""
    path = write(mappings, "customer.yaml", customer_mapping())
    v1 = load_mapping(path)
    with db.begin() as conn:
        results = upsert_records(conn, "customer", [
            SourceRecord("kingdee", "BD_Customer", raw["FNumber"], v1.apply(raw), raw, mapping=v1.name,
                         mapping_hash=v1.hash)
            for raw in RAWS
        ])
    write(mappings, "customer.yaml", customer_mapping(name_pipe="[trim, upper]", tax_required=True))
    return {r.external_id: str(r.record_id) for r in results}


def test_remap_prints_what_changed_what_failed_and_the_counts(hub: Hub, stored: dict[str, str]) -> None:
    v2 = load_mapping(hub.workspace / "mappings" / "customer.yaml")

    result = hub("remap", "kd-customer")

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"updated kingdee/BD_Customer/C1 ({stored['C1']}): name"
    assert lines[1].startswith(f"failed kingdee/BD_Customer/C3 ({stored['C3']}): mapping kd-customer: record C3: "
                               "field tax_id: no value at FTaxNo")
    assert lines[2] == f"kd-customer ({v2.hash[:12]}): examined 3, updated 1, unchanged 1, failed 1"


def test_remap_dry_run_reports_and_writes_nothing(hub: Hub, stored: dict[str, str]) -> None:
    dry = hub("remap", "kd-customer", "--dry-run")

    assert dry.stdout.splitlines()[0] == f"would update kingdee/BD_Customer/C1 ({stored['C1']}): name"
    assert "dry run, nothing written: kd-customer" in dry.stdout
    assert "examined 3, would update 1, unchanged 1, failed 1" in dry.stdout
    assert "examined 3, updated 1" in hub("remap", "kd-customer").stdout  # the dry run left it all to do


def test_remap_again_has_nothing_to_update(hub: Hub, stored: dict[str, str]) -> None:
    hub("remap", "kd-customer")

    again = hub("remap", "kd-customer")

    assert "examined 1, updated 0, unchanged 0, failed 1" in again.stdout


def test_remap_all_exits_0_when_nothing_fails(hub: Hub, stored: dict[str, str], mappings: Path) -> None:
    write(mappings, "customer.yaml", customer_mapping(name_pipe="[trim, upper]"))

    result = hub("remap", "kd-customer", "--all")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].endswith("examined 3, updated 2, unchanged 1, failed 0")


def test_remap_with_nothing_to_do_says_so(hub: Hub, db: Engine, mappings: Path) -> None:
    write(mappings, "customer.yaml", customer_mapping())

    result = hub("remap", "kd-customer")

    assert result.exit_code == 0, result.output
    assert "nothing to re-map" in result.stderr


def test_remap_of_an_unknown_mapping_is_an_error(hub: Hub, db: Engine) -> None:
    result = hub("remap", "nope")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: no mapping named 'nope'")


def test_remap_needs_a_migrated_database(hub: Hub, mappings: Path) -> None:
    write(mappings, "customer.yaml", customer_mapping())

    result = hub("remap", "kd-customer")

    assert result.exit_code == 1
    assert "run `hub db upgrade` first" in result.stderr

