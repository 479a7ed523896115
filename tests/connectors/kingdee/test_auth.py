"""Authentication on the wire (respx): session login, the cookie sent back, re-login on MsgCode 1, signed calls."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx
import pytest
import respx
from cryptography.fernet import Fernet
from sqlalchemy import Engine

from connectors.erp.kingdee import KingdeeConnector, KingdeeSettings
from connectors.erp.kingdee.signing import api_signature, kd_signature
from hub.errors import AuthExpiredError
from hub.sdk import ConnectorContext, VendorError
from hub.security.secrets import SecretBox

BASE = "http://erp.example.cn/k3cloud/"
LOGIN = BASE + "Kingdee.BOS.WebApi.ServicesStub.AuthService.ValidateUser.common.kdsvc"
APP_LOGIN = BASE + "Kingdee.BOS.WebApi.ServicesStub.AuthService.LoginByAppSecret.common.kdsvc"
QUERY = BASE + "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc"
EXPIRED = [[{"Result": {"ResponseStatus": {"IsSuccess": False, "MsgCode": 1,
                                           "Errors": [{"Message": "会话信息已丢失，请重新登录"}]}}}]]


def connector(engine: Engine | None = None, box: SecretBox | None = None, **overrides: Any) -> KingdeeConnector:
    values: dict[str, Any] = {"base_url": BASE, "acct_id": "6123456", "username": "integrator", "password": "pw"}
    settings = KingdeeSettings.model_validate({**values, **overrides})

    async def no_wait(_: float) -> None:
        return None

    return KingdeeConnector(settings, ConnectorContext("kd", "kingdee", engine=engine, secret_box=box), sleep=no_wait)


def logged_in(session: str) -> httpx.Response:
    return httpx.Response(200, json={"LoginResultType": 1, "KDSVCSessionId": session},
                          headers={"Set-Cookie": f"kdservice-sessionid={session}; path=/"})


def query(kd: KingdeeConnector) -> Any:
    async def go() -> Any:
        try:
            return await kd.client.query("BD_Customer", ("FNumber",))
        finally:
            await kd.aclose()

    return asyncio.run(go())


@respx.mock
def test_validate_user_sends_acct_user_password_lcid() -> None:
    login = respx.post(LOGIN).mock(return_value=logged_in("s1"))
    respx.post(QUERY).respond(json=[["C001"]])

    query(connector(lcid=1033))

    assert json.loads(login.calls[0].request.content) == {"parameters": ["6123456", "integrator", "pw", 1033]}


@respx.mock
def test_login_by_app_secret_sends_acct_user_app_id_secret_lcid() -> None:
    login = respx.post(APP_LOGIN).mock(return_value=logged_in("s1"))
    respx.post(QUERY).respond(json=[["C001"]])

    query(connector(password=None, app_id="224299_x", app_secret="app-s"))

    assert json.loads(login.calls[0].request.content) == {
        "parameters": ["6123456", "integrator", "224299_x", "app-s", 2052]}


@respx.mock
def test_later_calls_send_the_session_cookie_back() -> None:
    respx.post(LOGIN).mock(return_value=logged_in("s1"))
    route = respx.post(QUERY).respond(json=[["C001"]])

    assert query(connector()) == [["C001"]]
    assert route.calls[0].request.headers["Cookie"] == "kdservice-sessionid=s1"


@respx.mock
def test_an_expired_session_logs_in_again_and_replays_once() -> None:
    login = respx.post(LOGIN)
    login.side_effect = [logged_in("s1"), logged_in("s2")]
    route = respx.post(QUERY)
    route.side_effect = [httpx.Response(200, json=EXPIRED), httpx.Response(200, json=[["C001"]])]

    assert query(connector()) == [["C001"]]
    assert login.call_count == 2
    assert [c.request.headers["Cookie"] for c in route.calls] == ["kdservice-sessionid=s1", "kdservice-sessionid=s2"]


@respx.mock
def test_a_session_refused_right_after_login_fails_instead_of_looping() -> None:
    respx.post(LOGIN).mock(side_effect=[logged_in("s1"), logged_in("s2"), logged_in("s3")])
    respx.post(QUERY).respond(json=EXPIRED)

    with pytest.raises(AuthExpiredError, match="session expired"):
        query(connector())


@respx.mock
def test_a_refused_login_is_a_configuration_error_quoting_kingdee() -> None:
    respx.post(LOGIN).respond(json={"LoginResultType": 0, "Message": "用户名或密码错误！"})

    with pytest.raises(VendorError, match="用户名或密码错误"):
        query(connector())


@respx.mock
def test_workers_share_one_session_through_the_database(db_engine: Engine) -> None:
    box = SecretBox(Fernet.generate_key().decode())
    login = respx.post(LOGIN).mock(return_value=logged_in("shared"))
    route = respx.post(QUERY).respond(json=[["C001"]])

    query(connector(db_engine, box))
    query(connector(db_engine, box))  # another worker: finds the session in the database

    assert login.call_count == 1
    assert {c.request.headers["Cookie"] for c in route.calls} == {"kdservice-sessionid=shared"}


@respx.mock
def test_signed_calls_carry_every_header_and_no_login() -> None:
    login = respx.post(LOGIN)
    route = respx.post(QUERY).respond(json=[["C001"]])
    kd = connector(auth="signature", password=None, app_id="224299_x", app_secret="app-s", org_num="100")
    kd.client.signer.clock = lambda: 1714530000.0  # type: ignore[union-attr]

    query(kd)

    headers = route.calls[0].request.headers
    path = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc"
    assert login.call_count == 0
    assert "cookie" not in headers
    assert headers["X-Api-ClientID"] == "224299_x"
    assert headers["X-Api-Signature"] == api_signature("app-s", path, "1714530000", "1714530000")
    assert base64.b64decode(headers["X-Kd-Appdata"]).decode() == "6123456,integrator,2052,100"
    assert headers["X-Kd-Signature"] == kd_signature("app-s", "224299_x", "6123456,integrator,2052,100")


@respx.mock
def test_signed_calls_use_a_separate_client_secret_when_given() -> None:
    route = respx.post(QUERY).respond(json=[["C001"]])
    kd = connector(auth="signature", password=None, app_id="224299_x", app_secret="app-s", client_id="224299",
                   client_secret="gw-s")
    kd.client.signer.clock = lambda: 1714530000.0  # type: ignore[union-attr]

    query(kd)

    headers = route.calls[0].request.headers
    path = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc"
    assert headers["X-Api-ClientID"] == "224299"
    assert headers["X-Api-Signature"] == api_signature("gw-s", path, "1714530000", "1714530000")
