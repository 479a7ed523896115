"""The simulator keeps the sheet's rules: errors inside HTTP 200, cursors, windows, knobs, the control API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from connectors.wecom import WeComConnector
from connectors.wecom.simulator import CONTRACT_TEMPLATE, WeComSimulator
from tests.connectors.wecom.conftest import Sleeps, read_all, records

Connect = Callable[..., WeComConnector]


def call(sim: WeComSimulator, method: str, path: str, *, body: Any = None, **query: str) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url="http://wecom.test") as c:
            return await c.request(method, path, params=query, json=body)

    return asyncio.run(go())


def token(sim: WeComSimulator) -> str:
    a = sim.account
    return str(call(sim, "GET", "/cgi-bin/gettoken", corpid=a.corp_id, corpsecret=a.corp_secret).json()["access_token"])


def test_errors_come_inside_http_200(sim: WeComSimulator) -> None:
    response = call(sim, "GET", "/cgi-bin/agent/get", agentid="1000002", access_token="forged")

    assert response.status_code == 200
    assert response.json()["errcode"] == 40014


def test_gettoken_checks_the_corp_and_the_secret(sim: WeComSimulator) -> None:
    assert call(sim, "GET", "/cgi-bin/gettoken", corpid="wwnope", corpsecret="x").json()["errcode"] == 40013
    assert call(sim, "GET", "/cgi-bin/gettoken", corpid=sim.account.corp_id, corpsecret="x").json()["errcode"] == 40001
    answer = call(sim, "GET", "/cgi-bin/gettoken", corpid=sim.account.corp_id, corpsecret=sim.account.corp_secret)
    assert answer.json()["expires_in"] == 7200


def test_batch_get_by_user_pages_with_cursors_and_refuses_over_100_userids(sim: WeComSimulator) -> None:
    access = token(sim)
    users = [e["userid"] for e in sim.follow_staff]
    seen, cursor = [], ""
    while True:
        page = call(sim, "POST", "/cgi-bin/externalcontact/batch/get_by_user", access_token=access,
                    body={"userid_list": users, "cursor": cursor, "limit": 4}).json()
        assert len(page["external_contact_list"]) <= 4
        seen += [item["external_contact"]["external_userid"] for item in page["external_contact_list"]]
        cursor = page["next_cursor"]
        if not cursor:
            break

    assert len(seen) == sum(len(f) for f in sim.follows.values())  # one item per follower
    too_many = call(sim, "POST", "/cgi-bin/externalcontact/batch/get_by_user", access_token=access,
                    body={"userid_list": [f"u{i}" for i in range(101)], "limit": 10}).json()
    assert too_many["errcode"] == 40058


def test_getapprovalinfo_refuses_a_window_over_31_days(sim: WeComSimulator) -> None:
    body = {"starttime": "0", "endtime": str(32 * 86400), "new_cursor": "", "size": 100,
            "filters": [{"key": "template_id", "value": CONTRACT_TEMPLATE}]}

    answer = call(sim, "POST", "/cgi-bin/oa/getapprovalinfo", access_token=token(sim), body=body).json()

    assert answer["errcode"] == 40058


def test_a_busy_corp_and_rate_limits_mid_sync_are_waited_out(connect: Connect, sim: WeComSimulator,
                                                             sleeps: Sleeps) -> None:
    connector = connect(users_per_call=2)
    asyncio.run(connector.check())
    sim.set_knobs(busy_next=2)
    read_all(connector, "external_contact", full=True)
    sim.set_knobs(rate_limit_next=1)

    read = records(read_all(connector, "external_contact", full=True))

    assert len(read) == len(sim.external)
    assert 60.0 in sleeps.waits
    assert sim.gettoken_calls == 1  # neither refreshes the token


def test_a_body_that_is_not_json_is_answered_with_47001(sim: WeComSimulator) -> None:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url="http://wecom.test") as c:
            return await c.post("/cgi-bin/message/send", params={"access_token": "x"}, content=b"{not json")

    assert asyncio.run(go()).json()["errcode"] == 47001


def test_the_control_api_expires_tokens_and_sets_knobs(sim: WeComSimulator) -> None:
    access = token(sim)

    assert call(sim, "POST", "/_sim/tokens/expire", body={"code": 40014}).json() == {"expired": 1}
    assert call(sim, "GET", "/cgi-bin/agent/get", agentid="1000002", access_token=access).json()["errcode"] == 40014
    assert call(sim, "POST", "/_sim/knobs", body={"ip_blocked": True}).json()["ip_blocked"] is True
    assert call(sim, "GET", "/cgi-bin/gettoken", corpid="x", corpsecret="y").json()["errcode"] == 60020
    assert call(sim, "POST", "/_sim/knobs", body={"nope": 1}).status_code == 400


def test_the_seeded_data_is_the_same_for_the_same_seed() -> None:
    one, two = WeComSimulator(11, now=1_700_000_000), WeComSimulator(11, now=1_700_000_000)

    assert one.external == two.external
    assert one.follows == two.follows
    assert one.sp == two.sp
    assert any("有限公司" in c.get("corp_full_name", "") for c in one.external.values())
