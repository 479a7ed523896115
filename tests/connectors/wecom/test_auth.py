"""Tokens against the simulator: shared by workers, refreshed on each expiry code, one per secret."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from connectors.wecom import WeComConnector
from connectors.wecom.simulator import WeComSimulator
from hub.sdk import VendorError
from hub.security.secrets import SecretBox
from tests.connectors.wecom.conftest import read_all, records

Connect = Callable[..., WeComConnector]


def test_workers_share_one_token_through_the_database(connect: Connect, sim: WeComSimulator,
                                                      db_engine: Engine) -> None:
    box = SecretBox(Fernet.generate_key().decode())

    first = asyncio.run(connect(engine=db_engine, secret_box=box).check())
    second = asyncio.run(connect(engine=db_engine, secret_box=box).check())  # another worker

    assert first.ok
    assert second.ok
    assert sim.gettoken_calls == 1


@pytest.mark.parametrize("code", [40001, 40014, 42001])
def test_a_token_ended_early_mid_sync_is_refreshed_and_every_contact_lands(
    code: int, connect: Connect, sim: WeComSimulator
) -> None:
    connector = connect()
    asyncio.run(connector.check())
    sim.expire_tokens(code)  # WeCom ends the token before its expires_in

    read = records(read_all(connector, "external_contact", full=True))

    assert len(read) == len(sim.external)
    assert sim.gettoken_calls == 2
    assert connector.client.tokens.fetches == 2


def test_tokens_are_refreshed_before_they_expire(connect: Connect, sim: WeComSimulator) -> None:
    sim.set_knobs(token_lifetime=2)  # shorter than the refresh margin: refreshed at half-life
    connector = connect()

    asyncio.run(connector.check())
    asyncio.run(asyncio.sleep(1.1))
    asyncio.run(connector.check())

    assert sim.gettoken_calls == 2
    assert sim.calls["agent/get"] == 2  # no call was refused for an expired token


def test_contacts_and_approvals_use_their_own_secret_when_set(connect: Connect, sim: WeComSimulator) -> None:
    sim.set_knobs(app_has_contacts=False, app_has_approvals=False)
    a = sim.account
    connector = connect(contact_secret=a.contact_secret, approval_secret=a.approval_secret)

    contacts = records(read_all(connector, "external_contact", full=True))
    contracts = records(read_all(connector, "approval", full=True))
    health = asyncio.run(connector.check())

    assert (len(contacts), health.ok) == (len(sim.external), True)
    assert contracts
    assert sorted(t.scope for t in sim.tokens.values()) == ["app", "approvals", "contacts"]


def test_an_app_not_granted_customer_contact_is_told_how_to_fix_it(connect: Connect, sim: WeComSimulator) -> None:
    sim.set_knobs(app_has_contacts=False)

    with pytest.raises(VendorError, match=r"48002.*contact_secret"):
        read_all(connect(), "external_contact", full=True)


def test_the_ip_allow_list_refusal_fails_the_check_with_the_fix(connect: Connect, sim: WeComSimulator) -> None:
    sim.set_knobs(ip_blocked=True)

    health = asyncio.run(connect().check())

    assert not health.ok
    assert "企业可信IP" in health.message
