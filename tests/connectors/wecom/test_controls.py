"""An approval's form flattened by control id and title, and values shaped for applyevent (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.wecom.applyevent import TemplateForm, control_value
from connectors.wecom.approvals import approval_record
from connectors.wecom.controls import flatten_controls, text_of
from connectors.wecom.simulator.seed import contract_template
from hub.errors import RecordError


def item(control: str, cid: str, title: str, value: Any) -> dict[str, Any]:
    return {"control": control, "id": cid, "title": [{"text": title, "lang": "zh_CN"}], "value": value}


@pytest.mark.parametrize(("control", "value", "plain"), [
    pytest.param("Text", {"text": "HT-1"}, "HT-1", id="text"),
    pytest.param("Textarea", {"text": "多行\n备注"}, "多行\n备注", id="textarea"),
    pytest.param("Number", {"new_number": "3.5"}, "3.5", id="number"),
    pytest.param("Money", {"new_money": "128000.00"}, "128000.00", id="money"),
    pytest.param("Date", {"date": {"type": "day", "s_timestamp": "1714521600"}}, 1714521600, id="date-epoch"),
    pytest.param("DateRange", {"date_range": {"new_begin": 1, "new_end": 2}}, {"begin": 1, "end": 2}, id="range"),
    pytest.param("Selector", {"selector": {"type": "single", "options": [
        {"key": "k1", "value": [{"text": "Sales", "lang": "en"}, {"text": "销售合同", "lang": "zh_CN"}]}]}},
        "销售合同", id="selector-single-zh-first"),
    pytest.param("Selector", {"selector": {"type": "multi", "options": [
        {"key": "a", "value": [{"text": "甲", "lang": "zh_CN"}]},
        {"key": "b", "value": [{"text": "乙", "lang": "zh_CN"}]}]}},
        ["甲", "乙"], id="selector-multi"),
    pytest.param("Contact", {"members": [{"userid": "zhangsan", "name": "张三"}]}, ["zhangsan"], id="contact"),
    pytest.param("File", {"files": [{"file_id": "f1"}]}, ["f1"], id="file"),
    pytest.param("Location", {"location": {"title": "苏州"}}, {"location": {"title": "苏州"}}, id="other-kept"),
])
def test_each_control_type_has_a_plain_value(control: str, value: Any, plain: Any) -> None:
    assert flatten_controls([item(control, "C-1", "字段", value)]) == {"C-1": plain, "字段": plain}


def test_a_table_becomes_rows_flattened_the_same_way() -> None:
    row = {"list": [item("Text", "T-2", "物料", {"text": "轴承"}), item("Number", "N-3", "数量", {"new_number": "5"})]}

    flat = flatten_controls([item("Table", "Table-1", "明细", {"children": [row, row]})])

    assert flat["明细"] == [{"T-2": "轴承", "物料": "轴承", "N-3": "5", "数量": "5"}] * 2


def test_ids_win_over_titles_and_the_first_of_equal_titles_wins() -> None:
    flat = flatten_controls([item("Text", "备注", "其他", {"text": "by id"}),
                             item("Text", "T-2", "备注", {"text": "x"}),
                             item("Text", "T-3", "其他", {"text": "later"})])

    assert flat["备注"] == "by id"
    assert flat["其他"] == "by id"


def test_tips_controls_and_junk_are_left_out() -> None:
    assert flatten_controls([{"control": "Tips", "id": "Tips-1", "title": []}, "junk", None]) == {}
    assert flatten_controls(None) == {}


def test_text_of_prefers_chinese_then_the_first() -> None:
    assert text_of([{"text": "Amount", "lang": "en"}, {"text": "金额", "lang": "zh_CN"}]) == "金额"
    assert text_of([{"text": "Amount", "lang": "en"}]) == "Amount"
    assert text_of([]) is None


def test_approved_at_is_the_last_approval_time_only_when_approved() -> None:
    record = {"sp_no": "1", "sp_status": 2, "sp_record": [
        {"details": [{"sp_status": 2, "sptime": 100}]}, {"details": [{"sp_status": 2, "sptime": 300}]}]}
    rejected = {**record, "sp_status": 3}

    assert approval_record(record)["approved_at"] == 300
    assert approval_record(rejected)["approved_at"] is None


FORM = TemplateForm("tpl", contract_template())


@pytest.mark.parametrize(("key", "value", "shaped"), [
    pytest.param("合同编号", "HT-1", {"text": "HT-1"}, id="text-by-title"),
    pytest.param("Contract No.", "HT-1", {"text": "HT-1"}, id="text-by-english-title"),
    pytest.param("Money-1570000000003", "100.50", {"new_money": "100.50"}, id="money-by-id"),
    pytest.param("签订日期", "2024-05-01", {"date": {"type": "day", "s_timestamp": "1714492800"}}, id="date-beijing"),
    pytest.param("签订日期", 1714521600, {"date": {"type": "day", "s_timestamp": "1714521600"}}, id="date-epoch"),
    pytest.param("合同类型", "采购合同", {"selector": {"type": "single", "options": [{"key": "option-purchase"}]}},
                 id="selector-by-text"),
    pytest.param("合同类型", "option-sale", {"selector": {"type": "single", "options": [{"key": "option-sale"}]}},
                 id="selector-by-key"),
])
def test_values_are_shaped_as_each_control_wants(key: str, value: Any, shaped: dict[str, Any]) -> None:
    assert control_value(FORM.find(key), value, key) == shaped


def test_an_unknown_control_or_option_says_which_exist() -> None:
    with pytest.raises(RecordError, match=r"no control '金额'.*合同金额"):
        FORM.find("金额")
    with pytest.raises(RecordError, match=r"not one of the options.*销售合同"):
        control_value(FORM.find("合同类型"), "租赁合同", "合同类型")
