"""The connector against the simulator: reads, incremental changes, token expiry, faults, pushes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from connectors.erp.yonyou import YonyouConnector
from connectors.erp.yonyou.paging import SEEN_KEY
from connectors.erp.yonyou.simulator import SimulatorState
from hub.errors import RateLimitedError, RetryableError
from hub.sdk import PushResult, StreamState, VendorRecordError
from hub.security.secrets import SecretBox
from tests.connectors.yonyou.conftest import Sleeps, ids, read_all

Connect = Callable[..., YonyouConnector]


def test_check_discovers_gets_a_token_and_lists_one_customer(connect: Connect, sim: SimulatorState) -> None:
    health = asyncio.run(connect().check())

    assert health.ok, health.message
    assert health.details["gateway_url"] == "http://yonyou.test/c2/iuap-api-gateway"
    assert health.details["customers"] == len(sim.customers)


def test_the_data_centre_comes_from_discovery_not_from_settings(connect: Connect, sim: SimulatorState) -> None:
    sim.set_knobs({"data_centre": "c7"})

    pages = read_all(connect(), "merchant")

    assert len(ids(pages)) == len(sim.customers)
    assert all(path.startswith("/yonbip/") for _, path in sim.calls)


def test_a_full_read_gets_every_customer_once(connect: Connect, sim: SimulatorState) -> None:
    pages = read_all(connect(page_size=25), "merchant", full=True)

    assert sorted(ids(pages)) == sorted(sim.customers)
    assert len(pages) >= 3


def test_a_full_read_gets_every_sales_order_with_its_lines(connect: Connect, sim: SimulatorState) -> None:
    pages = read_all(connect(page_size=100), "voucherorder", full=True)

    orders = [record for page in pages for record in page.records]
    assert sorted(ids(pages)) == sorted(sim.orders)
    assert all(record["orderDetails"] == sim.orders[record["id"]]["orderDetails"] for record in orders)
    assert sum(1 for method, path in sim.calls if path.endswith("/detail")) == len(sim.orders)


def test_an_incremental_read_gets_only_what_changed_after_the_saved_cursor(connect: Connect,
                                                                          sim: SimulatorState) -> None:
    first = read_all(connect(page_size=25), "merchant")
    state = first[-1].state
    some = sorted(sim.customers)[:3]
    for customer_id in some:
        sim.modify("customers", customer_id, {"address": "上海市闵行区申长路 988 号"})

    changed = read_all(connect(page_size=25), "merchant", state)

    assert sorted(ids(changed)) == some
    assert all(r["address"] == "上海市闵行区申长路 988 号" for p in changed for r in p.records)


def test_records_sharing_the_cursor_second_are_not_read_twice_but_late_arrivals_are(connect: Connect,
                                                                                     sim: SimulatorState) -> None:
    a, b, c = sorted(sim.customers)[:3]
    sim.modify("customers", a, {"contactName": "甲"}, pubts="2030-01-01 08:00:00")
    sim.modify("customers", b, {"contactName": "乙"}, pubts="2030-01-01 08:00:00")
    state = read_all(connect(), "merchant")[-1].state
    assert state == StreamState("2030-01-01 08:00:00", {SEEN_KEY: sorted([a, b])})

    sim.modify("customers", c, {"contactName": "丙"}, pubts="2030-01-01 08:00:00")  # same second, later
    again = read_all(connect(), "merchant", state)

    assert ids(again) == [c]
    assert again[-1].state.data[SEEN_KEY] == sorted([a, b, c])


def test_an_incremental_read_with_nothing_changed_reads_nothing(connect: Connect, sim: SimulatorState) -> None:
    state = read_all(connect(), "voucherorder")[-1].state
    sim.calls.clear()

    again = read_all(connect(), "voucherorder", state)

    assert [(page.records, page.state) for page in again] == [([], state)]
    assert [path for _, path in sim.calls] == ["/yonbip/sd/voucherorder/list"]


def test_an_order_deleted_between_list_and_detail_is_skipped(connect: Connect, sim: SimulatorState) -> None:
    connector = connect()
    gone = sorted(sim.orders)[0]
    original = connector.api.get

    async def get_after_deleting(path: str, params: dict[str, str], *, what: str) -> Any:
        if params.get("id") == gone and gone in sim.orders:
            sim.delete("orders", gone)
        return await original(path, params, what=what)

    connector.api.get = get_after_deleting  # type: ignore[method-assign]
    pages = read_all(connector, "voucherorder", full=True)

    assert gone not in ids(pages)
    assert len(ids(pages)) == len(sim.orders)


def test_a_token_expiring_mid_read_is_refreshed_and_the_read_goes_on(connect: Connect, sim: SimulatorState) -> None:
    sim.set_knobs({"token_max_uses": 30})  # each token dies after 30 calls: several times during the read

    pages = read_all(connect(page_size=50), "voucherorder", full=True)

    assert sorted(ids(pages)) == sorted(sim.orders)
    assert sim.tokens_issued > 1


def test_the_plain_text_非法token_answer_is_refreshed_too(connect: Connect, sim: SimulatorState) -> None:
    connector = connect()
    read_all(connector, "merchant")  # a token is cached
    sim.expire_tokens()  # the detail endpoint now answers the plain text 非法token

    pages = read_all(connector, "voucherorder", full=True)

    assert len(ids(pages)) == len(sim.orders)
    assert sim.tokens_issued == 2


def test_http_500_and_rate_limits_are_retried(connect: Connect, sim: SimulatorState, sleeps: Sleeps) -> None:
    sim.add_fault("http_500", times=2, path="/voucherorder/list")
    sim.add_fault("rate_limit", times=1, code="310046", path="/detail")
    sim.add_fault("rate_limit", times=1, code="310032", path="/newlist")

    orders = read_all(connect(), "voucherorder", full=True)
    customers = read_all(connect(), "merchant", full=True)

    assert len(ids(orders)) == len(sim.orders)
    assert len(ids(customers)) == len(sim.customers)
    assert sleeps.waits.count(1.0) == 2  # the two rate limits
    assert len(sleeps.waits) == 4
    assert sim.faults == []


def test_rate_limits_that_do_not_stop_end_the_read_as_rate_limited(connect: Connect, sim: SimulatorState) -> None:
    sim.add_fault("rate_limit", times=99, code="310042")

    with pytest.raises(RateLimitedError, match="310042"):
        read_all(connect(), "merchant")


def test_a_detail_call_that_keeps_failing_ends_the_read_with_the_hubs_error(connect: Connect,
                                                                           sim: SimulatorState) -> None:
    sim.add_fault("http_503", times=1000, path="/detail")

    with pytest.raises(RetryableError, match="voucherorder/detail"):
        read_all(connect(), "voucherorder", full=True)


# -- pushes --------------------------------------------------------------------------------

NEW = {"code": "HUB-cus_01", "name": {"zh_CN": "宁波远航智能装备有限公司"}, "creditCode": "91330212MA2H4R8F5K",
       "contactMobile": "13957412345", "address": "浙江省宁波市鄞州区天童南路 588 号", "stopstatus": "false"}


def _push(connector: YonyouConnector, record: dict[str, Any], key: str) -> PushResult:
    return asyncio.run(connector.push("merchant", record, idempotency_key=key))


def test_a_pushed_customer_is_created_and_then_read_back(connect: Connect, sim: SimulatorState) -> None:
    from connectors.erp.yonyou.simulator.seed import is_valid_uscc
    record = {**NEW, "creditCode": next(c["creditCode"] for c in sim.customers.values())}
    assert is_valid_uscc(record["creditCode"])

    result = _push(connect(), record, "push-1")

    assert result.created
    assert sim.customers[result.external_id]["code"] == "HUB-cus_01"


def test_a_retried_push_finds_the_customer_instead_of_creating_a_second(connect: Connect,
                                                                       sim: SimulatorState) -> None:
    record = {**NEW, "creditCode": ""}
    first = _push(connect(), record, "push-1")
    second = _push(connect(), record, "push-1")

    assert (first.created, second.created) == (True, False)
    assert first.external_id == second.external_id
    assert sum(1 for c in sim.customers.values() if c["code"] == "HUB-cus_01") == 1


def test_a_push_with_changes_updates_the_existing_customer(connect: Connect, sim: SimulatorState) -> None:
    record = {**NEW, "creditCode": ""}
    first = _push(connect(), record, "push-1")

    second = _push(connect(), {**record, "address": "浙江省宁波市鄞州区首南西路 1 号"}, "push-2")

    assert second == PushResult(first.external_id, created=False, raw=second.raw)
    assert sim.customers[first.external_id]["address"] == "浙江省宁波市鄞州区首南西路 1 号"


def test_a_partial_batch_failure_is_reported_per_item(connect: Connect, sim: SimulatorState) -> None:
    sim.set_knobs({"refuse_codes": ["HUB-refused"]})
    items = [
        ({"code": "HUB-ok", "name": {"zh_CN": "成都天成模具有限公司"}}, "k1"),
        ({"code": "HUB-bad-credit", "name": {"zh_CN": "武汉启明电气有限公司"}, "creditCode": "91420111ABC"}, "k2"),
        ({"code": "HUB-refused", "name": {"zh_CN": "佛山锦程包装材料有限公司"}}, "k3"),
        ({"code": "HUB-no-name"}, "k4"),
    ]

    outcomes = asyncio.run(connect().push_many("merchant", items))

    created, bad_credit, refused, no_name = outcomes
    assert isinstance(created, PushResult)
    assert created.created
    assert all(isinstance(o, VendorRecordError) for o in (bad_credit, refused, no_name))
    assert "HUB-bad-credit" in str(bad_credit)
    assert "统一社会信用代码" in str(bad_credit)
    assert "HUB-refused" in str(refused)
    assert "HUB-no-name" in str(no_name)
    assert "客户名称不能为空" in str(no_name)
    assert [c["code"] for c in sim.customers.values()].count("HUB-ok") == 1


# -- the shared token ----------------------------------------------------------------------


def test_the_token_is_shared_by_connectors_through_the_database(connect: Connect, sim: SimulatorState,
                                                               db_engine: Any) -> None:
    box = SecretBox(SecretBox.generate_key())

    read_all(connect(engine=db_engine, secret_box=box), "merchant")
    read_all(connect(engine=db_engine, secret_box=box), "merchant")  # another worker, same credential

    assert sim.tokens_issued == 1


def test_a_token_the_vendor_revoked_is_replaced_in_the_shared_cache(connect: Connect, sim: SimulatorState,
                                                                    db_engine: Any) -> None:
    box = SecretBox(SecretBox.generate_key())
    read_all(connect(engine=db_engine, secret_box=box), "merchant")
    sim.expire_tokens()

    read_all(connect(engine=db_engine, secret_box=box), "merchant")
    read_all(connect(engine=db_engine, secret_box=box), "merchant")

    assert sim.tokens_issued == 2
