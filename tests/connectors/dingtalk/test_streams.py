"""Reading approval instances from the simulator: full and incremental reads, resuming, fetch by id."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest

from connectors.dingtalk import DingTalkConnector
from connectors.dingtalk.simulator import CONTRACT_CODE, LEAVE_CODE, DingTalkSimulator
from connectors.dingtalk.streams import form_values
from hub.errors import ConflictError
from hub.sdk import StreamState
from tests.connectors.dingtalk.conftest import STREAM, Sleeps, ids, read_all

Connect = Callable[..., DingTalkConnector]


def contract_ids(sim: DingTalkSimulator, **where: str) -> list[str]:
    return [i.id for i in sim.find(process_code=CONTRACT_CODE, **where)]


def test_a_full_read_lists_every_instance_of_the_configured_templates_only(sim: DingTalkSimulator,
                                                                           connect: Connect) -> None:
    pages = read_all(connect(), full=True)

    assert sorted(ids(pages)) == sorted(contract_ids(sim))
    assert not set(ids(pages)) & {i.id for i in sim.find(process_code=LEAVE_CODE)}
    assert [len(p.records) for p in pages] == [20, 20, 5]  # maxResults 20 per listing page


def test_the_last_state_remembers_where_listing_ended_and_which_instances_are_open(
    sim: DingTalkSimulator, connect: Connect
) -> None:
    pages = read_all(connect())

    final = pages[-1].state
    assert final.cursor is not None
    assert final.cursor >= max(i.create_ms for i in sim.find())
    assert sorted(final.data["open"]) == sorted(contract_ids(sim, status="RUNNING") + contract_ids(sim, status="NEW"))
    assert all("run" in p.state.data for p in pages[:-1])


def test_each_record_carries_its_id_and_its_form_by_field_name(sim: DingTalkSimulator, connect: Connect) -> None:
    record = read_all(connect())[0].records[0]
    instance = sim.instances[record["processInstanceId"]]

    assert record["form"]["合同金额"] == instance.form["合同金额"]
    assert record["form"] == form_values(record["formComponentValues"])
    assert record["status"] == instance.status


def test_table_fields_become_lists_and_the_first_of_two_same_named_fields_wins() -> None:
    form = form_values([
        {"name": "明细", "componentType": "TableField", "value": '[{"物料": "轴承", "数量": "2"}]'},
        {"name": "备注", "value": "第一"}, {"name": "备注", "value": "第二"}, {"value": "no name"},
    ])

    assert form == {"明细": [{"物料": "轴承", "数量": "2"}], "备注": "第一"}


def test_an_incremental_read_rereads_open_instances_and_sees_their_outcome(sim: DingTalkSimulator,
                                                                          connect: Connect) -> None:
    dt = connect()
    first = read_all(dt)
    running = contract_ids(sim, status="RUNNING")[0]
    sim.finish(running, "agree")

    again = read_all(dt, first[-1].state)

    reread = {r["processInstanceId"]: r for p in again for r in p.records}
    assert set(reread) == set(first[-1].state.data["open"])  # the open ones, nothing else changed
    assert (reread[running]["status"], reread[running]["result"]) == ("COMPLETED", "agree")
    assert running not in again[-1].state.data["open"]


def test_an_incremental_read_lists_instances_started_since_the_last_run(sim: DingTalkSimulator,
                                                                        connect: Connect) -> None:
    dt = connect()
    first = read_all(dt)
    started = asyncio.run(dt.push("approval", {"originatorUserId": "sales0102", "form": {
        "合同编号": "HT-NEW-0001", "客户名称": "苏州恒信精密机械有限公司", "合同金额": "88000.00"}},
        idempotency_key="start-1")).external_id

    again = read_all(dt, first[-1].state)

    assert started in ids(again)
    assert started in again[-1].state.data["open"]


def test_a_read_resumes_at_the_next_page_from_a_mid_run_state(connect: Connect) -> None:
    dt = connect()
    pages = read_all(dt)

    resumed = read_all(dt, StreamState.from_json(json.loads(json.dumps(pages[0].state.to_json()))))

    assert ids(resumed) == ids(pages[1:])


def test_tokens_expiring_early_mid_read_are_refreshed_and_nothing_is_lost(sim: DingTalkSimulator,
                                                                          connect: Connect) -> None:
    sim.knobs.token_max_calls = 7

    pages = read_all(connect())

    assert sorted(ids(pages)) == sorted(contract_ids(sim))
    assert sim.gateway.issued["v1.0"] > 3


def test_throttling_mid_read_backs_off_and_nothing_is_lost(sim: DingTalkSimulator, connect: Connect,
                                                           sleeps: Sleeps) -> None:
    dt = connect()
    asyncio.run(dt.new_tokens.get())
    sim.knobs.throttle_new_next = 2

    pages = read_all(dt)

    assert sorted(ids(pages)) == sorted(contract_ids(sim))
    assert sleeps.waits == [1.0, 1.0]


def test_fetch_returns_current_records_and_leaves_out_unknown_ids(sim: DingTalkSimulator, connect: Connect) -> None:
    wanted = contract_ids(sim)[:3]

    records = asyncio.run(connect().fetch(STREAM, [*wanted, "no-such-instance"]))

    assert [r["processInstanceId"] for r in records] == wanted
    assert records[0]["form"]["合同编号"] == sim.instances[wanted[0]].form["合同编号"]


def test_an_unknown_stream_is_refused(connect: Connect) -> None:
    with pytest.raises(ConflictError, match="no stream"):
        asyncio.run(connect().fetch("contacts", ["x"]))
