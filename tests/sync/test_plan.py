"""What an admin can get wrong in hub.yaml is reported before anything is read, with file and line."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from hub.errors import ConfigError, NotFoundError
from hub.mapping.registry import load_registry
from hub.sync.plan import StreamPlan, build_connector, entities_of, plan_stream
from tests.sync.conftest import HUB_YAML, ORDER_MAPPING, FakeHub


def _plan(fake: FakeHub, connector: str = "fk", entity: str = "customer") -> StreamPlan:
    workspace = fake.workspace()
    return plan_stream(workspace, load_registry(workspace.root, partial=True), connector, entity)


def test_the_plan_picks_the_stream_whose_object_the_mapping_reads(fake_sqlite: FakeHub) -> None:
    plan = _plan(fake_sqlite, "fk", "order")

    assert (plan.connector, plan.system, plan.entity, plan.stream) == ("fk", "fake", "order", "orders")
    assert plan.mapping.name == "fake-order"


def test_the_crosswalk_system_can_be_named_in_hub_yaml(fake_sqlite: FakeHub) -> None:
    fake_sqlite.write_config(HUB_YAML.replace("    type: fake\n    settings:\n      base_url",
                                              "    type: fake\n    system: fake-sh\n    settings:\n      base_url", 1))
    fake_sqlite.source.put("contacts", "C1", name="华为", level="a")

    assert _plan(fake_sqlite).system == "fake-sh"
    fake_sqlite.sync()
    assert fake_sqlite.count("record_refs", "WHERE system = 'fake-sh'") == 1


def test_an_unknown_connector_suggests_the_close_name(fake_sqlite: FakeHub) -> None:
    with pytest.raises(NotFoundError, match=r"no connector named 'fkk' in hub.yaml \(did you mean 'fk'\?\)"):
        _plan(fake_sqlite, "fkk")


def test_an_entity_the_connector_does_not_sync_is_named(fake_sqlite: FakeHub) -> None:
    with pytest.raises(NotFoundError, match="connector fk does not sync 'ticket'; configured: customer, order"):
        entities_of(fake_sqlite.workspace(), "fk", "ticket")


def test_every_entity_in_hub_yaml_order(fake_sqlite: FakeHub) -> None:
    assert entities_of(fake_sqlite.workspace(), "fk") == ["customer", "order"]


def test_bad_settings_are_reported_with_their_line(fake_sqlite: FakeHub) -> None:
    fake_sqlite.write_config(HUB_YAML.replace("      base_url: http://fake.test/\n",
                                              "      base_ur: http://fake.test/\n", 1))

    with pytest.raises(ConfigError) as caught:
        build_connector(fake_sqlite.workspace(), "fk")

    message = caught.value.message
    assert "hub.yaml:5: connectors.fk.settings.base_ur: unknown key 'base_ur' (did you mean 'base_url'?)" in message
    assert "hub.yaml:4: connectors.fk.settings.base_url: missing required key 'base_url'" in message


def test_an_unknown_connector_type_names_the_installed_ones(fake_sqlite: FakeHub) -> None:
    fake_sqlite.write_config(HUB_YAML.replace("type: fake", "type: fak", 1))

    with pytest.raises(ConfigError, match=r"connectors.fk.type: unknown connector type 'fak' \(did you mean 'fake'"):
        build_connector(fake_sqlite.workspace(), "fk")


def test_a_mapping_that_does_not_exist_is_a_config_error_naming_the_setting(fake_sqlite: FakeHub) -> None:
    fake_sqlite.write_config(HUB_YAML.replace("mapping: fake-contact", "mapping: fake-contacts"))

    with pytest.raises(ConfigError, match=r"connectors.fk.entities.customer.mapping: no mapping named "
                                          r"'fake-contacts' \(did you mean 'fake-contact'\?\)"):
        _plan(fake_sqlite)


def test_a_mapping_for_another_entity_is_refused(fake_sqlite: FakeHub) -> None:
    fake_sqlite.write_config(HUB_YAML.replace("mapping: fake-contact", "mapping: fake-order"))

    with pytest.raises(ConfigError, match="mapping fake-order produces order records, not customer"):
        _plan(fake_sqlite)


def test_a_mapping_for_another_system_is_refused(fake_sqlite: FakeHub) -> None:
    fake_sqlite.write_mapping("fake-order", ORDER_MAPPING.replace("system: fake", "system: kingdee"))

    with pytest.raises(ConfigError, match="mapping fake-order reads kingdee records, but connector fk is of type fake"):
        _plan(fake_sqlite, "fk", "order")


def test_a_mapping_of_an_object_the_connector_cannot_pull_is_refused(fake_sqlite: FakeHub) -> None:
    fake_sqlite.write_mapping("fake-order", ORDER_MAPPING.replace("object: orders", "object: invoices"))

    with pytest.raises(ConfigError, match="reads invoices, which connector type fake cannot pull "
                                          r"\(its streams: contacts, orders, payments\)"):
        _plan(fake_sqlite, "fk", "order")


def test_a_config_error_is_recorded_on_the_run(fake_sqlite: FakeHub) -> None:
    fake_sqlite.write_config(HUB_YAML.replace("mapping: fake-contact", "mapping: fake-order"))

    with pytest.raises(ConfigError):
        fake_sqlite.sync()

    with fake_sqlite.engine.connect() as conn:
        [row] = conn.execute(text("SELECT status, error FROM sync_runs"))
    assert row[0] == "failed"
    assert row[1].startswith("config_error: hub.yaml: connectors.fk.entities.customer.mapping")
