"""The simulator is faithful to the protocol sheet: discovery, signed tokens, codes inside HTTP 200, paging."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from connectors.erp.yonyou.signing import signature, token_url
from connectors.erp.yonyou.simulator import APP_KEY, APP_SECRET, TENANT_ID, SimulatorState, create_app
from connectors.erp.yonyou.simulator.seed import is_valid_uscc

BASE = "http://yonyou.test"
API = f"{BASE}/c2/iuap-api-gateway"
NOW = 1_717_000_000.0


@pytest.fixture
def clock() -> list[float]:
    return [NOW]


@pytest.fixture
def state(clock: list[float]) -> SimulatorState:
    return SimulatorState(clock=lambda: clock[0])


class SimClient:
    """Plain synchronous calls into the app in-process (httpx.ASGITransport), one event loop per call."""

    def __init__(self, state: SimulatorState) -> None:
        self.app = create_app(state)

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE) as http:
                return await http.request(method, url, **options)

        return asyncio.run(send())

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.request("GET", url, **options)

    def post(self, url: str, **options: Any) -> httpx.Response:
        return self.request("POST", url, **options)

    def patch(self, url: str, **options: Any) -> httpx.Response:
        return self.request("PATCH", url, **options)

    def delete(self, url: str, **options: Any) -> httpx.Response:
        return self.request("DELETE", url, **options)


@pytest.fixture
def client(state: SimulatorState) -> SimClient:
    return SimClient(state)


def _token(client: SimClient, at: float = NOW) -> str:
    answer = client.get(token_url(f"{BASE}/c2/iuap-api-auth", APP_KEY, APP_SECRET, int(at * 1000))).json()
    assert answer["code"] == "00000", answer
    return str(answer["data"]["access_token"])


def _list(client: SimClient, token: str | None, body: dict[str, Any],
          path: str = "/yonbip/digitalModel/merchant/newlist") -> httpx.Response:
    return client.post(API + path, params={"access_token": token} if token else None, json=body)


# -- discovery and tokens -------------------------------------------------------------------


def test_discovery_hands_out_the_tenants_gateway_and_token_urls(client: SimClient) -> None:
    answer = client.get("/open-auth/dataCenter/getGatewayAddress", params={"tenantId": TENANT_ID}).json()

    assert answer == {"code": "00000", "message": "成功！", "data": {
        "gatewayUrl": f"{BASE}/c2/iuap-api-gateway", "tokenUrl": f"{BASE}/c2/iuap-api-auth"}}


def test_discovery_refuses_an_unknown_tenant(client: SimClient) -> None:
    answer = client.get("/open-auth/dataCenter/getGatewayAddress", params={"tenantId": "nobody"}).json()

    assert answer["code"] != "00000"


def test_a_correctly_signed_token_request_gets_a_token_with_its_lifetime(client: SimClient) -> None:
    answer = client.get(token_url(f"{BASE}/c2/iuap-api-auth", APP_KEY, APP_SECRET, int(NOW * 1000))).json()

    assert answer["code"] == "00000"
    assert answer["data"]["expire"] == 7200


@pytest.mark.parametrize(("query", "code"), [
    ({"appKey": "unknown-app", "sign_with": APP_SECRET}, "10018"),
    ({"appKey": APP_KEY, "sign_with": "wrong-secret"}, "999"),
    ({"appKey": APP_KEY, "sign_with": APP_SECRET, "age": 3600}, "999"),
    ({"appKey": APP_KEY, "sign_with": APP_SECRET, "encode_twice": True}, "999"),
], ids=["unknown-app-key-10018", "wrong-secret", "stale-timestamp", "signature-url-encoded-twice"])
def test_token_requests_are_verified(client: SimClient, query: dict[str, Any], code: str) -> None:
    timestamp = int((NOW - query.get("age", 0)) * 1000)
    sig = signature(query["appKey"], query["sign_with"], timestamp)
    if query.get("encode_twice"):
        sig = quote(sig, safe="")  # params= encodes it a second time
    answer = client.get("/c2/iuap-api-auth/open-auth/selfAppAuth/base/v1/getAccessToken",
                        params={"appKey": query["appKey"], "timestamp": str(timestamp), "signature": sig})

    assert answer.status_code == 200
    assert answer.json()["code"] == code


def test_tokens_expire_after_their_lifetime(client: SimClient, state: SimulatorState, clock: list[float]) -> None:
    state.set_knobs({"token_ttl": 60})
    token = _token(client)
    assert _list(client, token, {}).json()["code"] == "200"

    clock[0] += 61

    assert _list(client, token, {}).json() == {"code": "310036", "message": "非法token"}


def test_a_call_without_a_token_is_310001_inside_http_200(client: SimClient) -> None:
    answer = _list(client, None, {})

    assert answer.status_code == 200
    assert answer.json()["code"] == "310001"


def test_the_detail_endpoint_answers_a_bad_token_in_plain_text(client: SimClient, state: SimulatorState) -> None:
    answer = client.get(API + "/yonbip/sd/voucherorder/detail",
                        params={"id": next(iter(state.orders)), "access_token": "stale"})

    assert answer.status_code == 200
    assert answer.text == "非法token"
    assert answer.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("path", [
    "/c2/iuap-api-gateway/yonbip/sd/voucherorder/nothing",
    "/c9/iuap-api-gateway/yonbip/sd/voucherorder/list",  # another data centre
    "/somewhere/else",
], ids=["unknown-api", "wrong-data-centre", "unknown-path"])
def test_an_unknown_path_is_http_404_with_310404(client: SimClient, path: str) -> None:
    answer = client.post(path, json={})

    assert answer.status_code == 404
    assert answer.json()["code"] == "310404"


# -- lists and details ----------------------------------------------------------------------


def test_lists_page_with_counts_and_filter_and_order_by_pubts(client: SimClient, state: SimulatorState) -> None:
    token = _token(client)
    cut = sorted(c["pubts"] for c in state.customers.values())[20]
    body = {"pageIndex": 2, "pageSize": 10, "simpleVOs": [{"field": "pubts", "op": "egt", "value1": cut}],
            "queryOrders": [{"field": "pubts", "order": "asc"}]}

    data = _list(client, token, body).json()["data"]

    matching = sorted((c for c in state.customers.values() if c["pubts"] >= cut), key=lambda c: c["pubts"])
    assert (data["pageIndex"], data["pageSize"], data["recordCount"]) == (2, 10, len(matching))
    assert data["pageCount"] == -(-len(matching) // 10)
    assert [r["pubts"] for r in data["recordList"]] == [c["pubts"] for c in matching[10:20]]


def test_a_page_larger_than_500_is_refused(client: SimClient) -> None:
    answer = _list(client, _token(client), {"pageIndex": 1, "pageSize": 501}).json()

    assert answer["code"] == "999"


def test_the_order_list_has_headers_and_the_detail_has_the_lines(client: SimClient, state: SimulatorState) -> None:
    token = _token(client)
    [header] = _list(client, token, {"pageIndex": 1, "pageSize": 1}, "/yonbip/sd/voucherorder/list").json()[
        "data"]["recordList"]
    detail = client.get(API + "/yonbip/sd/voucherorder/detail", params={"id": header["id"], "access_token": token})

    assert "orderDetails" not in header
    assert detail.json()["data"]["orderDetails"] == state.orders[header["id"]]["orderDetails"]


def test_seeded_data_is_deterministic_and_realistic() -> None:
    one, two = SimulatorState(), SimulatorState()

    assert one.customers == two.customers
    assert one.orders == two.orders
    assert all(is_valid_uscc(c["creditCode"]) for c in one.customers.values())
    assert all(c["name"]["zh_CN"].endswith("有限公司") for c in one.customers.values())
    assert all(o["orderDetails"] for o in one.orders.values())
    pubts = [c["pubts"] for c in one.customers.values()]
    assert len(set(pubts)) < len(pubts)  # some records share a second


# -- batch save and faults ------------------------------------------------------------------


def test_a_batch_save_with_a_refused_item_answers_200_with_fail_count(client: SimClient) -> None:
    token = _token(client)
    body = {"data": [{"_status": "Insert", "code": "N1", "name": {"zh_CN": "南京锦程电气有限公司"}},
                     {"_status": "Insert", "code": "N2", "name": {"zh_CN": "甲"}, "creditCode": "123"}]}

    answer = client.post(API + "/yonbip/digitalModel/merchant/batchSave", params={"access_token": token}, json=body)

    assert answer.status_code == 200
    data = answer.json()["data"]
    assert answer.json()["code"] == "200"
    assert (data["count"], data["sucessCount"], data["failCount"]) == (2, 1, 1)
    assert [i["code"] for i in data["infos"]] == ["N1"]
    assert "N2" in data["messages"][0]


@pytest.mark.parametrize(("fault", "status", "code"), [
    ({"kind": "http_500"}, 500, "500"),
    ({"kind": "http_503"}, 503, "503"),
    ({"kind": "rate_limit", "code": "310039"}, 200, "310039"),
    ({"kind": "invalid_token"}, 200, "310036"),
], ids=["http-500", "http-503", "rate-limit", "invalid-token"])
def test_queued_faults_answer_the_next_calls_then_stop(client: SimClient, fault: dict[str, Any], status: int,
                                                       code: str) -> None:
    token = _token(client)
    assert client.post("/_sim/faults", json={**fault, "times": 1}).status_code == 201

    first, second = _list(client, token, {}), _list(client, token, {})

    assert (first.status_code, first.json()["code"]) == (status, code)
    assert second.json()["code"] == "200"


def test_the_control_api_changes_and_deletes_records(client: SimClient, state: SimulatorState) -> None:
    customer_id = next(iter(state.customers))

    changed = client.patch(f"/_sim/customers/{customer_id}", json={"address": "新地址", "pubts": "2031-01-01 00:00:00"})
    assert changed.json()["pubts"] == "2031-01-01 00:00:00"
    assert state.customers[customer_id]["address"] == "新地址"

    assert client.delete(f"/_sim/customers/{customer_id}").status_code == 204
    assert customer_id not in state.customers
    assert client.get(f"/_sim/customers/{customer_id}").status_code == 404
    assert client.post("/_sim/knobs", json={"nonsense": 1}).status_code == 400
    assert client.post("/_sim/tokens/expire").json() == {"expired": 0}
    assert client.get("/_sim/state").json()["customers"] == len(state.customers)


# -- standalone ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_it_runs_standalone() -> None:
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "connectors.erp.yonyou.simulator", "--port", str(port), "--customers", "5",
         "--orders", "5"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/_sim/state", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        assert answer.json()["customers"] == 5
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
