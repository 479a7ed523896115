"""What the streams read from the simulator: one record per contact, approvals by window and page."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from connectors.wecom import WeComConnector
from connectors.wecom.simulator import CONTRACT_TEMPLATE, LEAVE_TEMPLATE, WeComSimulator
from hub.sdk import StreamState
from tests.connectors.wecom.conftest import read_all, records

Connect = Callable[..., WeComConnector]


def _by_id(pages: Any) -> dict[str, dict[str, Any]]:
    return {r["external_userid"]: r for r in records(pages)}


def _multi_followed(sim: WeComSimulator) -> str:
    return next(i for i, follows in sorted(sim.follows.items()) if len(follows) > 1)


def test_a_full_read_gives_one_record_per_contact_in_id_order(connect: Connect, sim: WeComSimulator) -> None:
    pages = read_all(connect(page_size=7), "external_contact", full=True)

    ids = [r["external_userid"] for r in records(pages)]
    assert ids == sorted(sim.external)
    assert [len(p.records) for p in pages] == [7, 7, 7, 7, 2]


def test_contacts_are_read_in_batches_of_follow_users_with_cursors(connect: Connect, sim: WeComSimulator) -> None:
    read_all(connect(users_per_call=2, contacts_per_call=3), "external_contact", full=True)

    follow_users = len(sim.follow_staff)
    assert sim.calls["externalcontact/get_follow_user_list"] == 1
    assert sim.calls["externalcontact/batch/get_by_user"] > (follow_users + 1) // 2  # several cursor pages each


def test_a_contact_with_several_followers_is_one_record_owned_by_the_first(connect: Connect,
                                                                          sim: WeComSimulator) -> None:
    contact_id = _multi_followed(sim)

    record = _by_id(read_all(connect(users_per_call=1), "external_contact", full=True))[contact_id]

    first = min(sim.follows[contact_id], key=lambda f: (f["createtime"], f["userid"]))
    assert record["follow_info"]["userid"] == first["userid"]
    assert [f["userid"] for f in record["follow_users"]] == [
        f["userid"] for f in sorted(sim.follows[contact_id], key=lambda f: (f["createtime"], f["userid"]))]
    phones = [m for f in record["follow_users"] for m in f["remark_mobiles"]]
    assert record["remark_mobiles"] == list(dict.fromkeys(phones))


def test_tags_carry_their_names_and_personal_tags_are_left_out(connect: Connect, sim: WeComSimulator) -> None:
    with_personal = next(i for i, fs in sorted(sim.follows.items()) if any(f["personal_tags"] for f in fs))

    record = _by_id(read_all(connect(), "external_contact", full=True))[with_personal]

    names = {t["tag_name"] for f in record["follow_users"] for t in f["tags"]}
    assert set(record["tag_names"]) == names
    assert all(t["type"] == 1 and t["group_name"] for f in record["follow_users"] for t in f["tags"])
    personal = {t for f in sim.follows[with_personal] for t in f["personal_tags"]}
    assert not personal & set(record["tag_names"])


def test_follow_users_from_the_settings_limit_the_read(connect: Connect, sim: WeComSimulator) -> None:
    userid = sim.follow_staff[0]["userid"]

    read = _by_id(read_all(connect(follow_users=[userid]), "external_contact", full=True))

    assert sorted(read) == sim.contact_ids(userid)
    assert all([f["userid"] for f in r["follow_users"]] == [userid] for r in read.values())
    assert sim.calls["externalcontact/get_follow_user_list"] == 0


def test_fetching_a_contact_gives_the_same_record_as_a_full_read(connect: Connect, sim: WeComSimulator) -> None:
    connector = connect()
    read = _by_id(read_all(connector, "external_contact", full=True))
    several = _multi_followed(sim)
    wanted = [several, next(i for i in sorted(sim.external, reverse=True) if i != several)]

    fetched = asyncio.run(connector.fetch("external_contact", wanted))

    assert [json.dumps(r, sort_keys=True) for r in fetched] == [json.dumps(read[i], sort_keys=True) for i in wanted]


def test_fetching_a_contact_nobody_follows_any_more_leaves_it_out(connect: Connect, sim: WeComSimulator) -> None:
    gone = sorted(sim.external)[0]
    for follow in list(sim.follows[gone]):
        sim.remove_follow(gone, follow["userid"])

    fetched = asyncio.run(connect().fetch("external_contact", [gone, "wm-not-a-contact"]))

    assert fetched == []


def test_an_empty_corp_still_yields_one_page(connect: Connect) -> None:
    pages = read_all(connect(follow_users=[]), "external_contact", full=True)

    assert [p.records for p in pages] == [[]]


# -- approvals ----------------------------------------------------------------------------------------

def _contracts(sim: WeComSimulator, since: int) -> set[str]:
    return {s for s, info in sim.sp.items() if info["template_id"] == CONTRACT_TEMPLATE and info["apply_time"] >= since}


def test_a_full_read_lists_every_contract_approval_of_the_history_and_no_other_template(
    connect: Connect, sim: WeComSimulator
) -> None:
    pages = read_all(connect(approvals_per_call=4), "approval", full=True)

    read = [r["sp_no"] for r in records(pages)]
    assert sorted(read) == sorted(_contracts(sim, 0))
    assert len(read) == len(set(read))
    assert LEAVE_TEMPLATE not in {r["template_id"] for r in records(pages)}
    assert pages[-1].state.cursor is not None
    assert "run" not in pages[-1].state.data


def test_each_listing_call_spans_at_most_31_days(connect: Connect, sim: WeComSimulator) -> None:
    spans: list[int] = []
    real = sim.handle

    def spy(method: str, path: str, query: dict[str, str], body: Any) -> dict[str, Any]:
        if path == "oa/getapprovalinfo":
            spans.append(int(body["endtime"]) - int(body["starttime"]))
        return real(method, path, query, body)

    sim.handle = spy  # type: ignore[method-assign]
    read_all(connect(approval_history_days=200), "approval", full=True)

    assert len(spans) >= 7
    assert max(spans) <= 31 * 86400


def test_the_record_has_controls_by_id_and_title_and_the_approval_time(connect: Connect,
                                                                       sim: WeComSimulator) -> None:
    record = next(r for r in records(read_all(connect(), "approval", full=True)) if r["sp_status"] == 2)

    controls = record["controls"]
    assert controls["合同编号"] == controls["Text-1570000000001"] == controls["Contract No."]
    assert controls["合同类型"] in ("销售合同", "采购合同", "服务合同")
    times = [d["sptime"] for step in sim.sp[record["sp_no"]]["sp_record"] for d in step["details"]]
    assert record["approved_at"] == max(times)


def test_an_incremental_read_brings_new_approvals_and_ones_decided_since(connect: Connect,
                                                                         sim: WeComSimulator) -> None:
    connector = connect(approval_open_days=365)
    first = read_all(connector, "approval")
    in_review = next(r["sp_no"] for r in records(first) if r["sp_status"] == 1)
    state = first[-1].state
    assert in_review in state.data["open"]

    sim.decide(in_review, 2)
    new = sim.add_approval(CONTRACT_TEMPLATE)
    again = read_all(connector, "approval", StreamState.from_json(json.loads(json.dumps(state.to_json()))))

    by_id = {r["sp_no"]: r for r in records(again)}
    assert by_id[in_review]["sp_status"] == 2
    assert by_id[new]["sp_status"] == 1
    assert in_review not in again[-1].state.data["open"]
    assert new in again[-1].state.data["open"]
    assert len(by_id) < len(records(first))  # not everything again


def test_approvals_in_review_longer_than_the_open_days_are_not_looked_at_again(connect: Connect,
                                                                               sim: WeComSimulator) -> None:
    pages = read_all(connect(approval_open_days=30), "approval")

    in_review = {r["sp_no"]: r["apply_time"] for r in records(pages) if r["sp_status"] == 1}
    recent = {s for s, t in in_review.items() if t >= sim.now - 30 * 86400}
    assert set(pages[-1].state.data["open"]) == recent
    assert len(in_review) > len(recent)


def test_a_read_resumes_inside_a_run_from_a_pages_state(connect: Connect, sim: WeComSimulator) -> None:
    connector = connect(approvals_per_call=3)
    pages = read_all(connector, "approval")
    middle = pages[1]
    assert "run" in middle.state.data

    resumed = read_all(connector, "approval", middle.state)

    later = [r["sp_no"] for p in pages[2:] for r in p.records]
    assert [r["sp_no"] for r in records(resumed)] == later


def test_fetching_approvals_leaves_unknown_ones_out(connect: Connect, sim: WeComSimulator) -> None:
    known = sorted(_contracts(sim, 0))[0]

    fetched = asyncio.run(connect().fetch("approval", [known, "209901010001"]))

    assert [r["sp_no"] for r in fetched] == [known]
    assert fetched[0]["controls"]
