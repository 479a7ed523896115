"""The simulator is faithful where the connector depends on it: token generations, cursors, the robot's
limits, DingTalk's once-a-day rule for work notifications, the control API."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from connectors.dingtalk.signing import robot_query
from connectors.dingtalk.simulator import CONTRACT_CODE, DingTalkSimulator
from tests.connectors.dingtalk.conftest import SIM_URL


@pytest.fixture
def http(sim: DingTalkSimulator) -> httpx.Client:
    return httpx.Client(transport=_SyncASGI(sim), base_url=SIM_URL)


class _SyncASGI(httpx.BaseTransport):
    """The simulator's ASGI app behind a synchronous client: each request runs in its own event loop."""

    def __init__(self, sim: DingTalkSimulator) -> None:
        self.sim = sim

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.sim.app), base_url=SIM_URL) as c:
                return await c.request(request.method, str(request.url), content=request.content,
                                       headers=request.headers)

        response = asyncio.run(go())
        return httpx.Response(response.status_code, headers=response.headers, content=response.content)


def new_token(http: httpx.Client, sim: DingTalkSimulator) -> str:
    a = sim.account
    return str(http.post("/v1.0/oauth2/accessToken", json={"appKey": a.app_key, "appSecret": a.app_secret})
               .json()["accessToken"])


def old_token(http: httpx.Client, sim: DingTalkSimulator) -> str:
    a = sim.account
    return str(http.get("/gettoken", params={"appkey": a.app_key, "appsecret": a.app_secret}).json()["access_token"])


def listing(http: httpx.Client, token: str, **body: object) -> httpx.Response:
    request = {"processCode": CONTRACT_CODE, "startTime": 0, "maxResults": 20, **body}
    return http.post("/v1.0/workflow/processes/instanceIds/query", json=request,
                     headers={"x-acs-dingtalk-access-token": token})


def test_a_token_of_one_generation_is_refused_by_the_other(http: httpx.Client, sim: DingTalkSimulator) -> None:
    old = old_token(http, sim)
    new = new_token(http, sim)

    assert listing(http, old).json()["code"] == "InvalidAuthentication"
    refused = http.post("/topapi/message/corpconversation/asyncsend_v2", params={"access_token": new}, json={})
    assert (refused.json()["errcode"], refused.json()["sub_code"]) == (88, "40014")
    assert listing(http, new).status_code == 200


def test_the_new_token_is_only_read_from_its_header(http: httpx.Client, sim: DingTalkSimulator) -> None:
    token = new_token(http, sim)

    as_query = http.post("/v1.0/workflow/processes/instanceIds/query", params={"access_token": token},
                         json={"processCode": CONTRACT_CODE, "startTime": 0})

    assert (as_query.status_code, as_query.json()["code"]) == (400, "InvalidAuthentication")


def test_next_tokens_page_through_every_instance_once(http: httpx.Client, sim: DingTalkSimulator) -> None:
    token = new_token(http, sim)
    seen: list[str] = []
    next_token: object = 0
    while next_token is not None:
        result = listing(http, token, nextToken=next_token, maxResults=7).json()["result"]
        seen += result["list"]
        next_token = result.get("nextToken")

    assert seen == [i.id for i in sim.find(process_code=CONTRACT_CODE)]


def test_more_than_20_results_a_page_is_refused(http: httpx.Client, sim: DingTalkSimulator) -> None:
    assert listing(http, new_token(http, sim), maxResults=21).json()["code"] == "InvalidParameter.MaxResults"


def test_the_robot_throttles_after_20_messages_a_minute(http: httpx.Client, sim: DingTalkSimulator) -> None:
    a = sim.account
    codes = []
    for _ in range(21):
        query = robot_query(a.robot_access_token, a.robot_secret, sim.now_ms())
        codes.append(http.post("/robot/send", params=query,
                               json={"msgtype": "text", "text": {"content": "hi"}}).json()["errcode"])

    assert codes == [0] * 20 + [660026]


def test_a_work_notification_with_the_same_content_reaches_a_user_once_a_day(http: httpx.Client,
                                                                             sim: DingTalkSimulator) -> None:
    token = old_token(http, sim)
    body = {"agent_id": sim.account.agent_id, "userid_list": "u1,u2", "msg": {"msgtype": "text",
                                                                               "text": {"content": "同一内容"}}}
    for users in ("u1,u2", "u2,u3"):
        http.post("/topapi/message/corpconversation/asyncsend_v2", params={"access_token": token},
                  json={**body, "userid_list": users})

    assert [n["delivered_to"] for n in sim.work_notifications] == [["u1", "u2"], ["u3"]]


def test_knobs_can_be_set_over_http_and_unknown_ones_are_refused(http: httpx.Client, sim: DingTalkSimulator) -> None:
    assert http.post("/_sim/knobs", json={"quota_exhausted": True}).json()["quota_exhausted"] is True
    assert sim.knobs.quota_exhausted
    assert http.post("/_sim/knobs", json={"no_such_knob": 1}).status_code == 400
    assert listing(http, new_token(http, sim)).json()["code"] == "Forbidden.AccessDenied.ApiCountLimitForOrg"
