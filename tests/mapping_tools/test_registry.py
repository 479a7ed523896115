"""The mapping registry: shipped and workspace mappings, overrides, duplicates, every problem reported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hub.errors import ConfigError, NotFoundError
from hub.mapping.registry import RegistryCache, load_registry
from tests.mapping_tools.helpers import BROKEN_FIELDS, BROKEN_MAPPING, ORDER_MAPPING, customer_mapping, write


def test_loads_shipped_and_workspace_mappings_recursively(shipped: Path, workspace: Path) -> None:
    write(shipped, "kingdee/customer.yaml", customer_mapping())
    write(workspace / "mappings", "shop/order.yml", ORDER_MAPPING)

    registry = load_registry(workspace)

    assert [e.name for e in registry.all()] == ["kd-customer", "kd-order"]
    customer, order = registry.get("kd-customer"), registry.get("kd-order")
    assert (customer.source, customer.entity, customer.system, customer.object) == (
        "shipped", "customer", "kingdee", "BD_Customer")
    assert customer.path == (shipped / "kingdee/customer.yaml").resolve()
    assert customer.hash == customer.mapping.hash
    assert order.source == "workspace"
    assert order.file == "mappings/shop/order.yml"
    assert registry.errors == ()


def test_a_workspace_mapping_overrides_the_shipped_one_of_the_same_name(shipped: Path, workspace: Path) -> None:
    shipped_file = write(shipped, "kingdee/customer.yaml", customer_mapping())
    write(workspace / "mappings", "customer.yaml", customer_mapping(name_pipe="[trim, upper]"))

    entry = load_registry(workspace).get("kd-customer")

    assert entry.source == "workspace"
    assert entry.overrides == shipped_file.resolve()
    assert entry.mapping.apply({"FNumber": "C1", "FName": "acme"})["name"] == "ACME"
    assert entry.summary()["overrides"] == str(shipped_file.resolve())


def test_a_new_workspace_mapping_overrides_nothing(shipped: Path, workspace: Path) -> None:
    write(workspace / "mappings", "order.yaml", ORDER_MAPPING)

    assert load_registry(workspace).get("kd-order").overrides is None


@pytest.mark.parametrize("where", ["shipped", "workspace"])
def test_two_files_with_one_name_in_the_same_place_are_an_error_naming_both(
    shipped: Path, workspace: Path, where: str
) -> None:
    folder = shipped if where == "shipped" else workspace / "mappings"
    write(folder, "a.yaml", customer_mapping())
    write(folder, "sub/b.yaml", customer_mapping(name_pipe="[upper]"))

    with pytest.raises(ConfigError) as caught:
        load_registry(workspace)

    message = caught.value.message
    assert message.startswith("2 configuration errors:")
    assert "a.yaml:2: name: mapping name 'kd-customer' is also used by " in message
    assert "sub/b.yaml:2: name: mapping name 'kd-customer' is also used by " in message
    partial = load_registry(workspace, partial=True)
    assert len(partial) == 0
    assert {e.name for e in partial.errors} == {"kd-customer"}


def test_strict_loading_lists_every_problem_of_every_file_with_its_line(shipped: Path, workspace: Path) -> None:
    write(shipped, "broken.yaml", BROKEN_MAPPING)
    write(workspace / "mappings", "fields.yaml", BROKEN_FIELDS)
    write(workspace / "mappings", "good.yaml", customer_mapping())

    with pytest.raises(ConfigError) as caught:
        load_registry(workspace)

    lines = caught.value.message.splitlines()
    assert lines[0] == "4 configuration errors:"
    assert "  mappings/fields.yaml:8: fields.name.pipe[1]: unknown step 'uper' (did you mean 'upper'?)" in lines
    assert "  mappings/fields.yaml:9: fields.nmae: unknown canonical field 'nmae' (did you mean 'name'?)" in lines
    shipped_file = (shipped / "broken.yaml").resolve()
    assert f"  {shipped_file}:5: entity: unknown entity 'custmer' (did you mean 'customer'?)" in lines
    assert f"  {shipped_file}:8: fields.name.pipe[1]: unknown step 'uper' (did you mean 'upper'?)" in lines
    assert len(caught.value.details) == 4


def test_partial_loading_keeps_the_valid_mappings_and_reports_the_broken_files(
    shipped: Path, workspace: Path
) -> None:
    write(workspace / "mappings", "fields.yaml", BROKEN_FIELDS)
    write(workspace / "mappings", "good.yaml", customer_mapping())

    registry = load_registry(workspace, partial=True)

    assert [e.name for e in registry.all()] == ["kd-customer"]
    [broken] = registry.errors
    assert (broken.file, broken.name, broken.source) == ("mappings/fields.yaml", "broken-fields", "workspace")
    assert [p.line for p in broken.problems] == [8, 9]
    assert broken.summary()["problems"][0]["path"] == "fields.name.pipe[1]"


def test_a_broken_workspace_override_does_not_fall_back_to_the_shipped_mapping(
    shipped: Path, workspace: Path
) -> None:
    write(shipped, "customer.yaml", customer_mapping())
    write(workspace / "mappings", "customer.yaml", customer_mapping(name_pipe="[uper]"))

    registry = load_registry(workspace, partial=True)

    assert registry.all() == []
    with pytest.raises(ConfigError, match="unknown step 'uper'"):
        registry.get("kd-customer")


def test_an_unknown_name_suggests_the_closest_one(shipped: Path, workspace: Path) -> None:
    write(workspace / "mappings", "customer.yaml", customer_mapping())

    with pytest.raises(NotFoundError, match=r"no mapping named 'kd-custmer' \(did you mean 'kd-customer'\?\)"):
        load_registry(workspace).get("kd-custmer")


def test_no_folders_means_no_mappings(tmp_path: Path, shipped: Path) -> None:
    registry = load_registry(tmp_path / "missing")

    assert registry.all() == []
    with pytest.raises(NotFoundError, match="no mappings are loaded"):
        registry.get("anything")


def test_without_a_workspace_only_the_shipped_mappings_load(shipped: Path) -> None:
    write(shipped, "customer.yaml", customer_mapping())

    assert [e.source for e in load_registry(None).all()] == ["shipped"]


def test_files_of_other_types_are_ignored(shipped: Path, workspace: Path) -> None:
    write(shipped, "README.md", "# not a mapping\n")
    write(workspace / "mappings", "notes.txt", "nope")

    assert load_registry(workspace).all() == []


def test_the_cache_reloads_only_when_a_file_changes(shipped: Path, workspace: Path) -> None:
    path = write(workspace / "mappings", "customer.yaml", customer_mapping())
    cache = RegistryCache()

    first = cache.get(workspace)
    assert cache.get(workspace) is first

    path.write_text(customer_mapping(name_pipe="[trim, upper]"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    changed = cache.get(workspace)
    assert changed is not first
    assert changed.get("kd-customer").hash != first.get("kd-customer").hash

    write(workspace / "mappings", "order.yaml", ORDER_MAPPING)
    assert [e.name for e in cache.get(workspace).all()] == ["kd-customer", "kd-order"]
