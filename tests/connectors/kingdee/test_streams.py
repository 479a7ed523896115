"""Pulling from the simulator: full and incremental reads, deletions, session expiry, retries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from connectors.erp.kingdee import KingdeeConnector
from connectors.erp.kingdee.simulator import KingdeeSimulator
from hub.errors import ConflictError, RateLimitedError
from hub.sdk import StreamState
from tests.connectors.kingdee.conftest import Sleeps, numbers, read_all, records

Connect = Callable[..., KingdeeConnector]


def test_a_full_read_returns_every_customer_once(connect: Connect, sim: KingdeeSimulator) -> None:
    pages = read_all(connect(), "BD_Customer", full=True)

    assert sorted(numbers(pages, "FNumber")) == sorted(c["FNumber"] for c in sim.documents("BD_Customer"))
    assert len(pages) == 1  # 30 customers, pages of 50


def test_a_full_read_returns_every_order_once_with_all_its_lines(connect: Connect, sim: KingdeeSimulator) -> None:
    pages = read_all(connect(), "SAL_SaleOrder", full=True)

    got = {r["FBillNo"]: len(r["FSaleOrderEntry"]) for r in records(pages)}
    assert len(numbers(pages)) == len(got) == 120
    assert got == {o["FBillNo"]: len(o["FSaleOrderEntry"]) for o in sim.documents("SAL_SaleOrder")}
    assert len(pages) > 5  # pages of 50 rows: many page boundaries fell inside orders


def test_an_incremental_read_returns_only_what_changed(connect: Connect, sim: KingdeeSimulator) -> None:
    kd = connect()
    first = read_all(kd, "SAL_SaleOrder")
    sim.modify("SAL_SaleOrder", ["XSDD000003", "XSDD000077"], {"FNote": "改了"})

    again = read_all(kd, "SAL_SaleOrder", first[-1].state)

    assert sorted(numbers(again)) == ["XSDD000003", "XSDD000077"]
    assert {r["FNote"] for r in records(again)} == {"改了"}


def test_nothing_changed_reads_nothing(connect: Connect) -> None:
    kd = connect()
    first = read_all(kd, "BD_Customer")

    again = read_all(kd, "BD_Customer", first[-1].state)

    assert records(again) == []


def test_a_deleted_order_is_missing_from_the_next_full_read(connect: Connect, sim: KingdeeSimulator) -> None:
    sim.delete("SAL_SaleOrder", ["XSDD000010"])

    pages = read_all(connect(), "SAL_SaleOrder", full=True)

    assert "XSDD000010" not in numbers(pages)
    assert len(numbers(pages)) == 119


def test_a_session_expiring_mid_read_logs_in_again_and_the_read_continues(
    connect: Connect, sim: KingdeeSimulator
) -> None:
    sim.knobs.session_max_calls = 3

    pages = read_all(connect(), "SAL_SaleOrder", full=True)

    assert len(numbers(pages)) == 120
    assert sim.logins >= 3


def test_http_500s_are_retried(connect: Connect, sim: KingdeeSimulator, sleeps: Sleeps) -> None:
    sim.knobs.http_500_on_calls = [3, 4, 6]

    pages = read_all(connect(), "SAL_SaleOrder", full=True)

    assert len(numbers(pages)) == 120
    assert len(sleeps.waits) == 3


def test_rate_limits_wait_retry_after_and_retry(connect: Connect, sim: KingdeeSimulator, sleeps: Sleeps) -> None:
    sim.set_knobs(rate_limit_next=2, retry_after=7)

    pages = read_all(connect(), "BD_Customer", full=True)

    assert len(numbers(pages, "FNumber")) == 30
    assert sleeps.waits == [7.0, 7.0]


def test_gateway_internal_errors_are_retried(connect: Connect, sim: KingdeeSimulator) -> None:
    sim.knobs.gateway_error_next = 2

    assert len(numbers(read_all(connect(), "BD_Customer", full=True), "FNumber")) == 30


def test_a_rate_limit_that_never_ends_fails_as_rate_limited(connect: Connect, sim: KingdeeSimulator) -> None:
    sim.knobs.rate_limit_next = 100

    with pytest.raises(RateLimitedError):
        read_all(connect(), "BD_Customer", full=True)


def test_signed_requests_read_the_same_records(connect: Connect, sim: KingdeeSimulator) -> None:
    signed = read_all(connect(auth="signature", password=None), "SAL_SaleOrder", full=True)

    assert sorted(numbers(signed)) == sorted(o["FBillNo"] for o in sim.documents("SAL_SaleOrder"))
    assert sim.logins == 0


def test_receipts_become_one_payment_record_per_order_over_all_its_receipts(
    connect: Connect, sim: KingdeeSimulator
) -> None:
    kd = connect()
    first = read_all(kd, "AR_RECEIVEBILL", full=True)
    order = next(o for o in sim.documents("SAL_SaleOrder", FDocumentStatus="C")
                 if o["FBillNo"] not in numbers(first))
    total = order["FBillAllAmount"]
    sim.add_receipt(order["FBillNo"], round(total / 4, 2))

    partial = read_all(kd, "AR_RECEIVEBILL", first[-1].state)
    sim.add_receipt(order["FBillNo"], round(total - round(total / 4, 2), 2))
    paid = read_all(kd, "AR_RECEIVEBILL", partial[-1].state)

    [p] = records(partial)
    [f] = records(paid)
    assert (p["FBillNo"], p["PaymentStatus"], p["ReceivedAmount"]) == (order["FBillNo"], "partial",
                                                                       str(round(total / 4, 2)))
    assert (f["PaymentStatus"], len(f["ReceiptNos"])) == ("paid", 2)


def test_unaudited_receipts_do_not_count_as_received(connect: Connect, sim: KingdeeSimulator) -> None:
    kd = connect()
    first = read_all(kd, "AR_RECEIVEBILL", full=True)
    order = next(o for o in sim.documents("SAL_SaleOrder") if o["FBillNo"] not in numbers(first))
    sim.add_receipt(order["FBillNo"], 100.0, audited=False)

    [record] = records(read_all(kd, "AR_RECEIVEBILL", first[-1].state))

    assert (record["PaymentStatus"], record["ReceivedAmount"]) == ("unpaid", "0")


def test_check_logs_in_and_reads_one_customer(connect: Connect, sim: KingdeeSimulator) -> None:
    health = asyncio.run(connect().check())

    assert health.ok
    assert sim.logins == 1


def test_check_reports_a_wrong_password_without_raising(connect: Connect) -> None:
    health = asyncio.run(connect(password="wrong").check())

    assert not health.ok
    assert "用户名或密码错误" in health.message


def test_an_unknown_stream_is_refused(connect: Connect) -> None:
    with pytest.raises(ConflictError, match="no stream 'SAL_Nope'"):
        read_all(connect(), "SAL_Nope", StreamState())
