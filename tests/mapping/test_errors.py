"""MappingError: what failed, where, and why, without ever showing personal data in full."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from hub.errors import MappingError, RecordError
from tests.mapping.builders import mapping

CUSTOMER = """\
name: FName
phones: {from: FMobile, pipe: [phone], required: false}
emails: {from: FEmail, pipe: [email], required: false}
address: {from: FAddress, pipe: [trim], required: false}
note: {from: FNote, pipe: [bool], required: false}
"""


def customer_error(**raw: Any) -> MappingError:
    m = mapping(CUSTOMER, entity="customer", id_path="FNumber", name="kingdee-customer")
    with pytest.raises(MappingError) as caught:
        m.apply({"FNumber": "C001", "FName": "华东机械", **raw})
    return caught.value


def test_a_mapping_error_names_mapping_record_field_value_and_reason() -> None:
    m = mapping("number: FBillNo\ntotal: {from: FBillAllAmount, pipe: [decimal]}", name="kingdee-sales-order")

    with pytest.raises(MappingError) as caught:
        m.apply({"FBillNo": "SO-7", "FBillAllAmount": "twelve"})

    error = caught.value
    assert (error.mapping, error.record_id, error.field, error.value) == ("kingdee-sales-order", "SO-7", "total",
                                                                          "twelve")
    assert error.reason == "'twelve' is not a number"
    assert str(error) == (
        "mapping kingdee-sales-order: record SO-7: field total: 'twelve' is not a number (value: 'twelve')"
    )


def test_a_mapping_error_is_a_record_error_so_the_sync_quarantines_the_record() -> None:
    assert issubclass(MappingError, RecordError)


def test_a_mapping_error_carries_its_parts_as_details() -> None:
    error = customer_error(FNote="maybe")

    assert error.details == {"mapping": "kingdee-customer", "record_id": "C001", "field": "note", "value": "maybe",
                             "reason": error.reason}


def test_a_non_personal_number_is_shown_as_it_is() -> None:
    m = mapping("number: FBillNo\ntotal: {from: FAmount, pipe: [int]}")

    with pytest.raises(MappingError) as caught:
        m.apply({"FBillNo": "SO1", "FAmount": Decimal("12.5")})

    assert caught.value.value == Decimal("12.5")


@pytest.mark.parametrize(
    ("raw", "field", "secrets"),
    [
        pytest.param({"FMobile": "13812345678 / 13912345679"}, "phones", ["13812345678", "13912345679", "2345678"],
                     id="two-phones-in-one-cell"),
        pytest.param({"FMobile": ["138 1234 5678", "1391234567x"]}, "phones", ["1234 5678", "1391234567"],
                     id="list-of-phones"),
        pytest.param({"FMobile": "  138 1234 567  "}, "phones", ["1234 567", "138 1234"], id="phone-one-digit-short"),
        pytest.param({"FEmail": "li.lei@@example.cn"}, "emails", ["li.lei", "lei@"], id="email-invalid"),
        pytest.param({"FEmail": "wang.fang@example"}, "emails", ["wang.fang"], id="email-without-domain"),
        pytest.param({"FAddress": {"street": "张江路88号"}}, "address", ["张江路88号"], id="address-object"),
        pytest.param({"FNote": "call 13812345678"}, "note", ["13812345678", "2345678"], id="phone-in-another-field"),
        pytest.param({"FNote": 13812345678}, "note", ["13812345678", "2345678"], id="phone-as-a-number"),
        pytest.param({"FNote": "li.lei@example.cn"}, "note", ["li.lei"], id="email-in-another-field"),
    ],
)
def test_personal_data_is_masked_in_the_error(raw: dict[str, Any], field: str, secrets: list[str]) -> None:
    error = customer_error(**raw)

    assert error.field == field
    shown = [str(error), str(error.value), str(error.reason), str(error.details)]
    for secret in secrets:
        for text in shown:
            assert secret not in text


def test_a_masked_phone_keeps_enough_to_recognise_it() -> None:
    error = customer_error(FNote="call 13812345678")

    assert "138****5678" in str(error)


def test_a_masked_value_of_a_personal_field_keeps_its_first_characters() -> None:
    error = customer_error(FEmail="wang.fang@example")

    assert error.value == "wa***"


def test_a_non_personal_value_is_shown() -> None:
    error = customer_error(FNote="maybe")

    assert error.value == "maybe"
    assert "'maybe' is not a yes/no value" in str(error)


def test_an_error_in_a_list_of_sub_records_names_the_item() -> None:
    m = mapping("number: FBillNo\nlines:\n  each: FEntity\n  fields:\n    qty: {from: FQty, pipe: [decimal]}")

    with pytest.raises(MappingError) as caught:
        m.apply({"FBillNo": "SO1", "FEntity": [{"FQty": 1}, {"FQty": 2}, {"FQty": "x"}]})

    assert caught.value.field == "lines[2].qty"
    assert "field lines[2].qty" in str(caught.value)


def test_an_error_for_a_missing_id_names_the_id_path() -> None:
    m = mapping("number: FNumber", id_path="FHead.FID")

    with pytest.raises(MappingError) as caught:
        m.apply({"FNumber": "SO1"})

    assert (caught.value.record_id, caught.value.field) == (None, "id")
    assert caught.value.reason == "no record id at FHead.FID"


def test_a_step_crashing_on_an_odd_value_is_a_mapping_error_not_a_crash() -> None:
    m = mapping("number: FBillNo\ntotal: {from: FAmount, pipe: [{divide: 3}, {decimal: 2}]}")

    with pytest.raises(MappingError) as caught:
        m.apply({"FBillNo": "SO1", "FAmount": [1, {"x": 2}]})

    assert caught.value.field == "total"
