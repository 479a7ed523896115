"""Subscriptions: secrets encrypted and shown once, rotation, the SSRF guard at save time, hub.yaml sync."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from hub.db.types import utcnow
from hub.errors import ConfigError, ConflictError, InvalidRequestError
from hub.security.secrets import SecretBox
from hub.security.ssrf import BlockedAddressError
from hub.workspace.config import SubscriptionConfig, WorkspaceConfig
from tests.webhooks.outbound.conftest import Subscribe, deliveries
from webhooks.outbound.config_sync import sync_subscriptions
from webhooks.outbound.subscriptions import (
    MASKED_SECRET,
    check_destination,
    create_subscription,
    delete_subscription,
    endpoint,
    find_subscription,
    list_subscriptions,
    rotate_secret,
)
from webhooks.outbound.tables import SUBSCRIPTIONS


def spec(**fields: Any) -> SubscriptionConfig:
    return SubscriptionConfig.model_validate({"url": "https://mes.example.cn/hooks", "events": ["order.*"], **fields})


def test_the_secret_is_returned_once_and_stored_only_encrypted(db_engine: Engine, box: SecretBox) -> None:
    with db_engine.begin() as conn:
        document, secret = create_subscription(conn, box, "mes", spec(headers={"Authorization": "Bearer t0k"}),
                                               now=utcnow())
        stored = dict(conn.execute(select(SUBSCRIPTIONS)).mappings().one())

    assert secret.startswith("whsec_")
    assert document["secret"] == MASKED_SECRET
    assert secret not in str(stored)
    assert "t0k" not in str(stored)
    assert box.decrypt(stored["secret"]) == secret


def test_reading_a_subscription_masks_the_secret_and_credential_headers(db_engine: Engine, box: SecretBox) -> None:
    with db_engine.begin() as conn:
        _, secret = create_subscription(
            conn, box, "mes", spec(headers={"Authorization": "Bearer t0k", "X-Tenant": "acme"}), now=utcnow()
        )
    with db_engine.connect() as conn:
        [document] = list_subscriptions(conn, box)

    assert secret not in str(document)
    assert document["secret"] == MASKED_SECRET
    assert document["headers"] == {"Authorization": "********", "X-Tenant": "acme"}


def test_without_hub_secret_key_no_subscription_can_be_created(db_engine: Engine) -> None:
    with pytest.raises(ConfigError, match="HUB_SECRET_KEY is not set") as caught, db_engine.begin() as conn:
        create_subscription(conn, None, "mes", spec(), now=utcnow())

    assert "Fernet.generate_key" in caught.value.details["hint"]


def test_a_given_secret_must_be_a_standard_webhooks_secret(db_engine: Engine, box: SecretBox) -> None:
    with pytest.raises(InvalidRequestError, match="24 to 64"), db_engine.begin() as conn:
        create_subscription(conn, box, "mes", spec(secret=SecretStr("whsec_c2hvcnQ=")), now=utcnow())


def test_names_are_unique(db_engine: Engine, box: SecretBox) -> None:
    with db_engine.begin() as conn:
        create_subscription(conn, box, "mes", spec(), now=utcnow())
    with pytest.raises(ConflictError, match="already exists"), db_engine.begin() as conn:
        create_subscription(conn, box, "mes", spec(), now=utcnow())


def test_rotation_returns_a_new_secret_and_keeps_the_old_one_signing_for_the_overlap(
    db_engine: Engine, box: SecretBox
) -> None:
    now = utcnow()
    with db_engine.begin() as conn:
        _, old = create_subscription(conn, box, "mes", spec(), now=now)
        document, new = rotate_secret(conn, box, "mes", overlap=timedelta(hours=24), now=now)
        current = endpoint(find_subscription(conn, "mes"), box)

    assert new != old
    assert document["secret"] == MASKED_SECRET
    assert current.secrets_at(now) == [new, old]
    assert current.secrets_at(now + timedelta(hours=25)) == [new]


def test_rotation_without_overlap_drops_the_old_secret_at_once(db_engine: Engine, box: SecretBox) -> None:
    with db_engine.begin() as conn:
        create_subscription(conn, box, "mes", spec(), now=utcnow())
        _, new = rotate_secret(conn, box, "mes", overlap=timedelta(0), now=utcnow())
        current = endpoint(find_subscription(conn, "mes"), box)

    assert current.secrets_at(utcnow()) == [new]


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/hook", "http://10.20.0.5/events", "http://169.254.169.254/latest/meta-data",
     "http://100.100.100.200/", "http://[::1]/hook"],
)
def test_the_ssrf_guard_refuses_internal_urls_when_saved(url: str) -> None:
    with pytest.raises(BlockedAddressError):
        check_destination(url)


def test_the_allow_list_lets_a_named_network_be_saved() -> None:
    check_destination("http://10.20.0.5/events", [ipaddress.ip_network("10.20.0.0/16")])


def test_a_hub_yaml_subscription_cannot_be_deleted_through_the_api(db_engine: Engine, box: SecretBox) -> None:
    with db_engine.begin() as conn:
        create_subscription(conn, box, "mes", spec(), now=utcnow(), source="hub.yaml")
    with pytest.raises(ConflictError, match="remove it there"), db_engine.begin() as conn:
        delete_subscription(conn, "mes")


def test_deleting_an_api_subscription_removes_its_deliveries(engine: Engine, subscribe: Subscribe,
                                                             emit: Any) -> None:
    subscribe("mes")
    emit("order.created")

    with engine.begin() as conn:
        delete_subscription(conn, "mes")

    assert deliveries(engine) == []


# -- hub.yaml --------------------------------------------------------------------------------------------


def allow_all(url: str) -> None:
    pass


def config(**subscriptions: dict[str, Any]) -> WorkspaceConfig:
    return WorkspaceConfig.model_validate({"subscriptions": subscriptions})


def test_hub_yaml_subscriptions_are_created_with_a_generated_secret_reported_once(
    engine: Engine, box: SecretBox
) -> None:
    with engine.begin() as conn:
        report = sync_subscriptions(conn, box, config(mes={"url": "https://mes.example.cn/h", "events": ["*"]}),
                                    now=utcnow(), check=allow_all)
        row = find_subscription(conn, "mes")

    assert list(report.created) == ["mes"]
    assert box.decrypt(row["secret"]) == report.created["mes"]
    assert row["source"] == "hub.yaml"

    with engine.begin() as conn:
        again = sync_subscriptions(conn, box, config(mes={"url": "https://mes.example.cn/h", "events": ["*"]}),
                                   now=utcnow(), check=allow_all)
    assert not again.changed


def test_a_secret_referenced_in_hub_yaml_is_used_and_a_change_rotates_it(engine: Engine, box: SecretBox) -> None:
    first, second = "whsec_" + "A" * 40, "whsec_" + "B" * 40
    entry = {"url": "https://mes.example.cn/h", "events": ["*"]}
    with engine.begin() as conn:
        report = sync_subscriptions(conn, box, config(mes={**entry, "secret": first}), now=utcnow(), check=allow_all)
        sync_subscriptions(conn, box, config(mes={**entry, "secret": second}), now=utcnow(), check=allow_all)
        current = endpoint(find_subscription(conn, "mes"), box)

    assert report.created == {"mes": None}  # nothing to show: the admin has it
    assert current.secrets_at(utcnow()) == [second, first]


def test_hub_yaml_changes_are_applied_and_a_removed_subscription_is_disabled_not_deleted(
    engine: Engine, box: SecretBox
) -> None:
    entry = {"url": "https://mes.example.cn/h", "events": ["order.*"]}
    with engine.begin() as conn:
        sync_subscriptions(conn, box, config(mes=entry, crm=entry), now=utcnow(), check=allow_all)
        report = sync_subscriptions(
            conn, box, config(mes={**entry, "events": ["order.confirmed"], "filter": {"currency": "CNY"}}),
            now=utcnow(), check=allow_all,
        )
        mes, crm = find_subscription(conn, "mes"), find_subscription(conn, "crm")

    assert report.updated == ["mes"]
    assert report.disabled == ["crm"]
    assert (mes["events"], mes["filter"]) == (["order.confirmed"], {"currency": "CNY"})
    assert (crm["enabled"], crm["disabled_reason"]) == (False, "removed from hub.yaml")


def test_hub_yaml_does_not_re_enable_what_the_hub_disabled(engine: Engine, box: SecretBox) -> None:
    from webhooks.outbound.subscriptions import disable_endpoint

    entry = {"url": "https://mes.example.cn/h", "events": ["order.*"]}
    with engine.begin() as conn:
        sync_subscriptions(conn, box, config(mes=entry), now=utcnow(), check=allow_all)
        disable_endpoint(conn, find_subscription(conn, "mes")["id"], "the endpoint answered 410 Gone", now=utcnow())
        sync_subscriptions(conn, box, config(mes=entry), now=utcnow(), check=allow_all)
        assert not find_subscription(conn, "mes")["enabled"]

        sync_subscriptions(conn, box, config(mes={**entry, "enabled": False}), now=utcnow(), check=allow_all)
        sync_subscriptions(conn, box, config(mes=entry), now=utcnow(), check=allow_all)
        assert find_subscription(conn, "mes")["enabled"]  # hub.yaml turned it off, hub.yaml turns it on


def test_a_hub_yaml_url_the_guard_refuses_is_saved_disabled_with_the_reason(engine: Engine, box: SecretBox) -> None:
    with engine.begin() as conn:
        report = sync_subscriptions(conn, box, config(audit={"url": "http://10.20.0.5:8080/e", "events": ["*"]}),
                                    now=utcnow(), check=check_destination)
        row = find_subscription(conn, "audit")

    assert "private address" in report.problems["audit"]
    assert not row["enabled"]
    assert row["disabled_reason"].startswith("url refused by the SSRF guard: 10.20.0.5 is a private address")


def test_hub_yaml_owns_its_subscriptions_fields(db_engine: Engine, box: SecretBox) -> None:
    from webhooks.outbound.models import SubscriptionUpdate
    from webhooks.outbound.subscriptions import update_subscription

    with db_engine.begin() as conn:
        create_subscription(conn, box, "mes", spec(), now=utcnow(), source="hub.yaml")
    with pytest.raises(ConflictError, match=r"defined in hub\.yaml"), db_engine.begin() as conn:
        update_subscription(conn, box, "mes", SubscriptionUpdate(url="https://other.example.cn/h"), now=utcnow())
    with db_engine.begin() as conn:
        document = update_subscription(conn, box, "mes", SubscriptionUpdate(enabled=False), now=utcnow())
    assert not document["enabled"]
