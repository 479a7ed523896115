"""The simulator is faithful to the protocol sheet: what it answers, refuses and breaks on purpose."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from connectors.erp.kingdee.signing import SigningKeys, signed_headers
from connectors.erp.kingdee.simulator import KingdeeSimulator
from connectors.erp.kingdee.simulator.data import is_valid_uscc
from tests.connectors.kingdee.conftest import small_simulator

QUERY = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc"
LOGIN = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.AuthService.ValidateUser.common.kdsvc"


def post(sim: KingdeeSimulator, path: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url="http://sim") as http:
            return await http.post(path, json=body, headers=headers or {})

    return asyncio.run(go())


def session(sim: KingdeeSimulator) -> dict[str, str]:
    a = sim.account
    reply = post(sim, LOGIN, {"parameters": [a.acct_id, a.username, a.password, 2052]})
    assert reply.json()["LoginResultType"] == 1
    assert reply.cookies["kdservice-sessionid"] == reply.json()["KDSVCSessionId"]
    return {"Cookie": f"kdservice-sessionid={reply.json()['KDSVCSessionId']}"}


def query(sim: KingdeeSimulator, headers: dict[str, str], **data: Any) -> Any:
    return post(sim, QUERY, {"data": {"StartRow": 0, "Limit": 2000, **data}}, headers).json()


def test_the_same_seed_gives_the_same_data() -> None:
    first, second = small_simulator(), small_simulator()

    assert first.documents("SAL_SaleOrder") == second.documents("SAL_SaleOrder")
    assert first.documents("BD_Customer") != KingdeeSimulator(8, customers=30, orders=0).documents("BD_Customer")


def test_companies_have_valid_unified_social_credit_codes() -> None:
    sim = small_simulator()
    codes = [c["FSOCIALCRECODE"] for c in sim.documents("BD_Customer")]

    assert all(is_valid_uscc(code) for code in codes)
    assert not is_valid_uscc("91320500MA1XXXXX0X")


def test_orders_have_one_to_five_lines_whose_amounts_add_up() -> None:
    orders = small_simulator().documents("SAL_SaleOrder")

    assert {len(o["FSaleOrderEntry"]) for o in orders} <= {1, 2, 3, 4, 5}
    for order in orders:
        assert round(sum(line["FAllAmount"] for line in order["FSaleOrderEntry"]), 2) == order["FBillAllAmount"]


def test_receipts_pay_some_orders_in_full_and_some_in_part() -> None:
    sim = small_simulator()
    totals = {o["FBillNo"]: o["FBillAllAmount"] for o in sim.documents("SAL_SaleOrder")}
    paid: dict[str, float] = {}
    for receipt in sim.documents("AR_RECEIVEBILL"):
        for line in receipt["FRECEIVEBILLENTRY"]:
            paid[line["FSALEORDERNO"]] = paid.get(line["FSALEORDERNO"], 0) + line["FRECAMOUNTFOR_E"]

    assert any(abs(paid[n] - totals[n]) < 0.01 for n in paid)
    assert any(paid[n] < totals[n] - 0.01 for n in paid)


def test_a_query_returns_bare_rows_in_field_keys_order_one_per_entry_line() -> None:
    sim = small_simulator()
    headers = session(sim)
    first = sim.documents("SAL_SaleOrder")[0]

    rows = query(sim, headers, FormId="SAL_SaleOrder", FieldKeys="FBillNo,FQty,FCustId.FNumber",
                 FilterString=f"FBillNo='{first['FBillNo']}'")

    assert rows == [[first["FBillNo"], line["FQty"], first["FCustId.FNumber"]] for line in first["FSaleOrderEntry"]]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        pytest.param("FNumber IN ('CUST00001','CUST00003')", ["CUST00001", "CUST00003"], id="in-list"),
        pytest.param("FNumber='CUST00002'", ["CUST00002"], id="equals"),
        pytest.param("FNumber>='CUST00029' AND FForbidStatus<>'X'", ["CUST00029", "CUST00030"], id="and"),
    ],
)
def test_filter_string_forms(filter_string: str, expected: list[str]) -> None:
    sim = small_simulator()

    rows = query(sim, session(sim), FormId="BD_Customer", FieldKeys="FNumber", FilterString=filter_string,
                 OrderString="FNumber ASC")

    assert [r[0] for r in rows] == expected


def test_paging_by_start_row_and_limit_covers_every_row_once() -> None:
    sim = small_simulator()
    headers = session(sim)
    keys = "FID,FSaleOrderEntry_FEntryID"
    order = "FModifyDate ASC,FID ASC,FSaleOrderEntry_FEntryID ASC"
    everything = query(sim, headers, FormId="SAL_SaleOrder", FieldKeys=keys, OrderString=order)
    pages = [query(sim, headers, FormId="SAL_SaleOrder", FieldKeys=keys, OrderString=order, StartRow=s, Limit=37)
             for s in range(0, len(everything) + 37, 37)]

    assert [row for page in pages for row in page] == everything


def test_a_modified_document_moves_to_the_end_of_the_cursor_order() -> None:
    sim = small_simulator()
    headers = session(sim)
    when = sim.modify("BD_Customer", ["CUST00001"], {"FName": "改名后的公司"})

    rows = query(sim, headers, FormId="BD_Customer", FieldKeys="FNumber,FName,FModifyDate",
                 FilterString=f"FModifyDate>='{when}'", OrderString="FModifyDate ASC,FCUSTID ASC")

    assert rows == [["CUST00001", "改名后的公司", when]]


def test_unknown_fields_and_filters_answer_the_error_payload() -> None:
    sim = small_simulator()
    headers = session(sim)

    unknown = query(sim, headers, FormId="BD_Customer", FieldKeys="FNope")
    bad_filter = query(sim, headers, FormId="BD_Customer", FieldKeys="FNumber", FilterString="FNumber='a' OR 1=1")

    for body in (unknown, bad_filter):
        status = body[0][0]["Result"]["ResponseStatus"]
        assert status["IsSuccess"] is False
        assert status["Errors"][0]["Message"]


def test_a_call_without_a_session_answers_msg_code_1() -> None:
    body = query(small_simulator(), {}, FormId="BD_Customer", FieldKeys="FNumber")

    assert body[0][0]["Result"]["ResponseStatus"]["MsgCode"] == 1


def test_sessions_expire_after_the_configured_number_of_calls() -> None:
    sim = small_simulator()
    sim.knobs.session_max_calls = 2
    headers = session(sim)

    answers = [query(sim, headers, FormId="BD_Customer", FieldKeys="FNumber", Limit=1) for _ in range(3)]

    assert answers[0] == answers[1] == [["CUST00001"]]
    assert answers[2][0][0]["Result"]["ResponseStatus"]["MsgCode"] == 1


def _signed(sim: KingdeeSimulator, now: int, secret: str | None = None) -> dict[str, str]:
    a = sim.account
    keys = SigningKeys(a.app_id, secret or a.app_secret, a.app_id, a.app_secret, a.acct_id, a.username, 2052, "0")
    return signed_headers(keys, QUERY, now)


def test_a_correctly_signed_call_needs_no_session() -> None:
    sim = small_simulator()

    rows = query(sim, _signed(sim, int(time.time())), FormId="BD_Customer", FieldKeys="FNumber", Limit=1)

    assert rows == [["CUST00001"]]


def test_a_bad_signature_is_refused_with_519_4002() -> None:
    sim = small_simulator()

    reply = post(sim, QUERY, {"data": {"FormId": "BD_Customer", "FieldKeys": "FNumber"}},
                 _signed(sim, int(time.time()), secret="wrong"))

    assert (reply.status_code, reply.json()["errcode"]) == (519, 4002)


def test_a_stale_timestamp_is_refused_with_519_4006() -> None:
    sim = small_simulator()
    sim.knobs.clock_skew_seconds = 900  # the simulator's clock runs 15 minutes ahead

    reply = post(sim, QUERY, {"data": {"FormId": "BD_Customer", "FieldKeys": "FNumber"}},
                 _signed(sim, int(time.time())))

    assert (reply.status_code, reply.json()["errcode"]) == (519, 4006)


@pytest.mark.parametrize(
    ("knob", "status"),
    [
        pytest.param({"http_500_next": 1}, 500, id="http-500"),
        pytest.param({"rate_limit_next": 1}, 429, id="rate-limit"),
        pytest.param({"gateway_error_next": 1}, 519, id="gateway-5001"),
    ],
)
def test_fault_knobs_break_the_next_call_only(knob: dict[str, int], status: int) -> None:
    sim = small_simulator()
    headers = session(sim)
    sim.set_knobs(**knob)

    first = post(sim, QUERY, {"data": {"FormId": "BD_Customer", "FieldKeys": "FNumber", "Limit": 1}}, headers)
    second = post(sim, QUERY, {"data": {"FormId": "BD_Customer", "FieldKeys": "FNumber", "Limit": 1}}, headers)

    assert (first.status_code, second.status_code) == (status, 200)


def test_the_control_api_sets_knobs_modifies_and_lists_documents() -> None:
    sim = small_simulator()

    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url="http://sim") as http:
            return [
                await http.post("/_sim/knobs", json={"latency_ms": 0, "session_max_calls": 5}),
                await http.post("/_sim/forms/BD_Customer/modify", json={"numbers": ["CUST00002"],
                                                                       "set": {"FName": "新名字"}}),
                await http.get("/_sim/forms/BD_Customer/documents", params={"number": "CUST00002"}),
                await http.post("/_sim/receipts", json={"order": "XSDD000001", "amount": 10}),
                await http.post("/_sim/forms/BD_Customer/delete", json={"numbers": ["CUST00003"]}),
                await http.get("/_sim/stats"),
                await http.post("/_sim/knobs", json={"no_such_knob": 1}),
            ]

    knobs, modified, listed, receipt, _deleted, stats, bad = asyncio.run(go())

    assert knobs.json()["session_max_calls"] == 5
    assert listed.json()[0]["FName"] == "新名字"
    assert listed.json()[0]["FModifyDate"] == modified.json()["FModifyDate"]
    assert receipt.json()["FBillNo"].startswith("SKD")
    assert stats.json()["documents"]["BD_Customer"] == 29
    assert bad.status_code == 400


def test_save_with_fid_0_creates_and_answers_success_entities() -> None:
    sim = small_simulator()
    model = {"FID": 0, "FBillType": {"FNumber": "SCDD01_SYS"}, "FDescription": "hub:k1",
             "FTreeEntity": [{"FMaterialId": {"FNumber": "01.01.0001"}, "FQty": 5,
                              "FPlanStartDate": "2024-05-01T00:00:00+08:00"}]}

    reply = post(sim, "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.Save.common.kdsvc",
                 {"formid": "PRD_MO", "data": {"Model": model}}, session(sim)).json()

    status = reply["Result"]["ResponseStatus"]
    [saved] = sim.documents("PRD_MO", FDescription="hub:k1")
    assert status["IsSuccess"] is True
    assert status["SuccessEntitys"][0]["Number"] == saved["FBillNo"]
    assert saved["FDocumentStatus"] == "A"
    assert saved["FTreeEntity"][0]["FPlanStartDate"] == "2024-05-01T00:00:00"


def test_the_simulator_serves_json_text_data_as_the_official_sdks_send_it() -> None:
    sim = small_simulator()

    rows = post(sim, QUERY, {"data": json.dumps({"FormId": "BD_Customer", "FieldKeys": "FNumber", "Limit": 1})},
                session(sim)).json()

    assert rows == [["CUST00001"]]
