"""Pipe steps, run through a mapping's compiled pipe exactly as a user's file runs them."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.errors import MappingError
from hub.mapping import Mapping
from tests.mapping.builders import config_error, line_of, mapping, mapping_yaml

SHANGHAI = ZoneInfo("Asia/Shanghai")
MISSING = object()


@functools.cache
def _pipe_mapping(pipe: str) -> Mapping:
    return mapping(f"note: {{from: v, pipe: {pipe}, required: false}}", id_path="id")


def run(pipe: str, value: Any) -> Any:
    """The value after ``pipe`` (a YAML flow list); MISSING when the pipe made it missing."""
    out = _pipe_mapping(pipe).apply({"id": "1", "v": value})["note"]
    return MISSING if out is None else out


def refused(pipe: str, value: Any) -> MappingError:
    with pytest.raises(MappingError) as caught:
        _pipe_mapping(pipe).apply({"id": "1", "v": value})
    assert caught.value.field == "note"
    return caught.value


# -- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("  华东机械  ", "华东机械", id="ascii-spaces"),
        pytest.param("\u3000华东机械\u3000", "华东机械", id="full-width-space"),
        pytest.param("\xa0华东机械\xa0", "华东机械", id="nbsp"),
        pytest.param("\u200b华东机械\ufeff", "华东机械", id="zero-width-space-and-bom"),
        pytest.param("\u200c\u200d华东机械\u2060", "华东机械", id="zero-width-joiners"),
        pytest.param("\u200b \u3000\u200b 华东机械 \u200b\xa0", "华东机械", id="interleaved-spaces-and-zero-width"),
        pytest.param("\t华东机械\r\n", "华东机械", id="tabs-and-newlines"),
        pytest.param("华东 机械", "华东 机械", id="inner-space-kept"),
        pytest.param(1001, "1001", id="number-becomes-text"),
    ],
)
def test_trim_strips_every_kind_of_space_at_the_ends(value: Any, expected: str) -> None:
    assert run("[trim]", value) == expected


@pytest.mark.parametrize("pipe", ["[trim]", "[upper]", "[lower]", "[str]", "[empty_to_null]", "[{replace: [x, y]}]"])
def test_chinese_text_round_trips_unchanged(pipe: str) -> None:
    text = "上海市浦东新区张江路1号（东门）·华东机械制造有限公司"

    assert run(pipe, text) == text


@pytest.mark.parametrize(
    ("pipe", "value", "expected"),
    [
        pytest.param("[upper]", "91310000ma1k", "91310000MA1K", id="upper"),
        pytest.param("[lower]", "Buyer@Example.CN", "buyer@example.cn", id="lower"),
        pytest.param("[upper]", 12, "12", id="upper-of-a-number-is-text"),
    ],
)
def test_upper_and_lower_change_case(pipe: str, value: Any, expected: str) -> None:
    assert run(pipe, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("SO-1", "SO-1", id="text"),
        pytest.param(1001, "1001", id="int"),
        pytest.param(1001.0, "1001", id="whole-float-without-point-zero"),
        pytest.param(12.5, "12.5", id="float"),
        pytest.param(Decimal("12.50"), "12.50", id="decimal-keeps-places"),
    ],
)
def test_str_makes_text(value: Any, expected: str) -> None:
    assert run("[str]", value) == expected


def test_a_text_step_refuses_an_object() -> None:
    error = refused("[trim]", {"a": 1})

    assert "expected text, got dict" in error.reason


# -- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("42", 42, id="text"),
        pytest.param(" 42 ", 42, id="spaces"),
        pytest.param("42.0", 42, id="whole-decimal-text"),
        pytest.param(42.0, 42, id="whole-float"),
        pytest.param("1,200", 1200, id="thousands-separator"),
        pytest.param(-7, -7, id="negative"),
    ],
)
def test_int_reads_whole_numbers(value: Any, expected: int) -> None:
    result = run("[int]", value)

    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("4.5", "not a whole number", id="fraction"),
        pytest.param(True, "boolean", id="boolean"),
        pytest.param("abc", "not a number", id="text"),
    ],
)
def test_int_refuses_what_is_not_a_whole_number(value: Any, reason: str) -> None:
    assert reason in refused("[int]", value).reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("12.5", "12.5", id="text"),
        pytest.param(7, "7", id="int"),
        pytest.param(0.1, "0.1", id="float-keeps-its-shortest-repr"),
        pytest.param(1e-7, "1E-7", id="small-float"),
        pytest.param("1,200.50", "1200.50", id="thousands-separators"),
        pytest.param("1，200.50", "1200.50", id="full-width-comma"),
        pytest.param("¥1,200.50", "1200.50", id="yuan-sign"),
        pytest.param("￥1200", "1200", id="full-width-yuan-sign"),
        pytest.param(" 12 ", "12", id="spaces"),
        pytest.param("-3.25", "-3.25", id="negative"),
        pytest.param(Decimal("9.990"), "9.990", id="decimal-unchanged"),
    ],
)
def test_decimal_reads_exact_decimals(value: Any, expected: str) -> None:
    result = run("[decimal]", value)

    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("abc", id="text"),
        pytest.param("", id="empty-text"),
        pytest.param("NaN", id="nan-text"),
        pytest.param("Infinity", id="infinity-text"),
        pytest.param(float("nan"), id="nan-float"),
        pytest.param(float("inf"), id="infinite-float"),
        pytest.param(True, id="boolean"),
        pytest.param({"v": 1}, id="object"),
    ],
)
def test_decimal_refuses_what_is_not_a_finite_number(value: Any) -> None:
    error = refused("[decimal]", value)

    assert "number" in error.reason


@pytest.mark.parametrize(
    ("places", "value", "expected"),
    [
        pytest.param(2, "2.675", "2.68", id="half-up-text"),
        pytest.param(2, 2.675, "2.68", id="half-up-float-via-its-repr"),
        pytest.param(2, "2.665", "2.67", id="half-up-not-half-even"),
        pytest.param(2, "2.674", "2.67", id="below-half-down"),
        pytest.param(2, "-2.675", "-2.68", id="negative-half-away-from-zero"),
        pytest.param(2, "-2.674", "-2.67", id="negative-below-half"),
        pytest.param(2, "-0.005", "-0.01", id="negative-cent"),
        pytest.param(2, 1, "1.00", id="padded-to-places"),
        pytest.param(0, "2.5", "3", id="zero-places"),
        pytest.param(4, "1.23456", "1.2346", id="four-places"),
        pytest.param(2, "¥1,234.565", "1234.57", id="separators-then-rounding"),
    ],
)
def test_decimal_with_places_rounds_half_up(places: int, value: Any, expected: str) -> None:
    assert str(run(f"[{{decimal: {places}}}]", value)) == expected


def test_decimal_with_places_refuses_a_number_too_large_to_quantize() -> None:
    error = refused("[{decimal: 2}]", "1e40")

    assert "too large" in error.reason


@pytest.mark.parametrize(
    ("pipe", "value", "expected"),
    [
        pytest.param("[{multiply: 100}]", "12.34", Decimal("1234"), id="multiply"),
        pytest.param("[{divide: 100}]", 1234, Decimal("12.34"), id="divide"),
        pytest.param("[{divide: 1000}]", "1,500", Decimal("1.5"), id="divide-text-with-separator"),
        pytest.param("[{multiply: 0.01}]", 250, Decimal("2.5"), id="multiply-by-fraction"),
    ],
)
def test_multiply_and_divide_scale_exactly(pipe: str, value: Any, expected: Decimal) -> None:
    assert run(pipe, value) == expected


def test_prefix_puts_text_in_front() -> None:
    assert run("[{prefix: KD-}]", 1001) == "KD-1001"


# -- yes/no -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[pytest.param(v, True, id=f"true-{v!r}") for v in (True, 1, "1", "true", "TRUE", "yes", "Y", "on", "是",
                                                             " 是 ", "真")],
        *[pytest.param(v, False, id=f"false-{v!r}") for v in (False, 0, "0", "false", "No", "n", "off", "否", "假")],
    ],
)
def test_bool_reads_yes_and_no_in_english_and_chinese(value: Any, expected: bool) -> None:
    assert run("[bool]", value) is expected


@pytest.mark.parametrize("value", [pytest.param("maybe", id="text"), pytest.param(2, id="two")])
def test_bool_refuses_other_values(value: Any) -> None:
    assert "yes/no" in refused("[bool]", value).reason


# -- time -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pipe", "value", "expected"),
    [
        pytest.param('[{datetime: {format: "%Y-%m-%d %H:%M:%S", tz: Asia/Shanghai}}]', "2024-05-01 10:20:30",
                     datetime(2024, 5, 1, 2, 20, 30, tzinfo=UTC), id="format-and-zone"),
        pytest.param("[{datetime: {tz: Asia/Shanghai}}]", "2024-05-01T10:20:30.123",
                     datetime(2024, 5, 1, 2, 20, 30, 123000, tzinfo=UTC), id="iso-kingdee-milliseconds"),
        pytest.param("[{datetime: {tz: Asia/Shanghai}}]", "2024-05-01 10:20:30",
                     datetime(2024, 5, 1, 2, 20, 30, tzinfo=UTC), id="iso-with-space"),
        pytest.param("[datetime]", "2024-05-01T10:20:30Z", datetime(2024, 5, 1, 10, 20, 30, tzinfo=UTC),
                     id="iso-z-suffix"),
        pytest.param("[datetime]", "2024-05-01T10:20:30+08:00", datetime(2024, 5, 1, 2, 20, 30, tzinfo=UTC),
                     id="iso-offset"),
        pytest.param("[{datetime: {tz: Asia/Shanghai}}]", "2024-05-01T10:20:30Z",
                     datetime(2024, 5, 1, 10, 20, 30, tzinfo=UTC), id="zone-in-value-wins-over-tz"),
        pytest.param("[{datetime: {tz: UTC}}]", "2024-05-01T10:20:30", datetime(2024, 5, 1, 10, 20, 30, tzinfo=UTC),
                     id="tz-utc"),
        pytest.param('[{datetime: {format: "%Y%m%d%H%M%S%z"}}]', "20240501102030+0800",
                     datetime(2024, 5, 1, 2, 20, 30, tzinfo=UTC), id="format-with-offset-and-no-tz"),
        pytest.param("[{datetime: {tz: Asia/Shanghai}}]", "  2024-05-01T10:20:30  ",
                     datetime(2024, 5, 1, 2, 20, 30, tzinfo=UTC), id="surrounding-spaces"),
    ],
)
def test_datetime_reads_an_aware_datetime(pipe: str, value: str, expected: datetime) -> None:
    result = run(pipe, value)

    assert result == expected
    assert result.tzinfo is not None


def test_datetime_with_tz_gives_the_time_in_that_zone() -> None:
    result = run("[{datetime: {tz: Asia/Shanghai}}]", "2024-05-01T10:20:30")

    assert result.utcoffset().total_seconds() == 8 * 3600
    assert (result.hour, result.minute) == (10, 20)


@pytest.mark.parametrize("pipe", ["[datetime]", '[{datetime: {format: "%Y-%m-%d %H:%M:%S"}}]'])
def test_a_naive_datetime_without_tz_is_a_clear_error(pipe: str) -> None:
    error = refused(pipe, "2024-05-01 10:20:30")

    assert "no time zone" in error.reason
    assert "tz" in error.reason


@pytest.mark.parametrize(
    ("pipe", "value", "reason"),
    [
        pytest.param('[{datetime: {format: "%Y-%m-%d", tz: UTC}}]', "01/05/2024", "does not match the format",
                     id="format-mismatch"),
        pytest.param("[{datetime: {tz: UTC}}]", "yesterday", "ISO 8601", id="not-iso"),
        pytest.param("[{datetime: {tz: UTC}}]", 1714530030, "use timestamp", id="epoch-number"),
    ],
)
def test_datetime_refuses_what_it_cannot_read(pipe: str, value: Any, reason: str) -> None:
    assert reason in refused(pipe, value).reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2024-05-01", date(2024, 5, 1), id="iso-date"),
        pytest.param("2024-05-01T10:20:30", date(2024, 5, 1), id="date-of-iso-datetime"),
        pytest.param(datetime(2024, 5, 1, 23, 0, tzinfo=UTC), date(2024, 5, 1), id="datetime-object"),
    ],
)
def test_date_reads_a_calendar_date(value: Any, expected: date) -> None:
    assert run("[date]", value) == expected


def test_date_refuses_a_non_iso_date() -> None:
    assert "not a date" in refused("[date]", "01/05/2024").reason


@pytest.mark.parametrize(
    ("pipe", "value", "expected"),
    [
        pytest.param("[{timestamp: s}]", 1714530030, datetime(2024, 5, 1, 2, 20, 30, tzinfo=UTC), id="seconds"),
        pytest.param("[{timestamp: s}]", "1714530030", datetime(2024, 5, 1, 2, 20, 30, tzinfo=UTC),
                     id="seconds-as-text"),
        pytest.param("[{timestamp: s}]", 1714530030.5, datetime(2024, 5, 1, 2, 20, 30, 500000, tzinfo=UTC),
                     id="fractional-seconds"),
        pytest.param("[{timestamp: ms}]", 1714530030123, datetime(2024, 5, 1, 2, 20, 30, 123000, tzinfo=UTC),
                     id="milliseconds"),
    ],
)
def test_timestamp_reads_epoch_numbers_as_utc(pipe: str, value: Any, expected: datetime) -> None:
    result = run(pipe, value)

    assert result == expected
    assert result.utcoffset().total_seconds() == 0


# -- shape ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pipe", "value", "expected"),
    [
        pytest.param('[{split: ","}]', "a, b,,c ", ["a", "b", "c"], id="trims-and-drops-empty-parts"),
        pytest.param('[{split: "、"}]', "重点客户、华东", ["重点客户", "华东"], id="chinese-separator"),
        pytest.param('[{split: ","}]', "", [], id="empty-text-is-an-empty-list"),
        pytest.param('[{split: ","}]', ["a", "b"], ["a", "b"], id="a-list-is-already-split"),
        pytest.param('[{join: ","}]', ["a", "b"], "a,b", id="join"),
        pytest.param('[{join: " / "}]', ["a", None, "b"], "a / b", id="join-skips-nulls"),
        pytest.param('[{join: ","}]', "a", "a", id="join-of-text-is-the-text"),
    ],
)
def test_split_and_join_see_the_value_whole(pipe: str, value: Any, expected: Any) -> None:
    assert run(pipe, value) == expected


def test_replace_replaces_every_occurrence() -> None:
    assert run('[{replace: ["（", "("]}]', "华东（上海）（二厂）") == "华东(上海）(二厂）"


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        pytest.param(r"^SO-(\d+)", "SO-123-A", "123", id="first-group"),
        pytest.param(r"(\d+)-(\w)", "SO-123-A", "123", id="only-the-first-group"),
        pytest.param(r"\d+", "SO-123-A", "123", id="whole-match-without-group"),
        pytest.param(r"^X(\d+)", "SO-123-A", MISSING, id="no-match-is-missing"),
    ],
)
def test_regex_keeps_the_first_group(pattern: str, value: str, expected: Any) -> None:
    assert run(f"[{{regex: '{pattern}'}}]", value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("138 1234 5678", "+8613812345678", id="mobile-with-spaces"),
        pytest.param("13812345678", "+8613812345678", id="mobile"),
        pytest.param(13812345678, "+8613812345678", id="mobile-as-number"),
        pytest.param(13812345678.0, "+8613812345678", id="mobile-as-float"),
        pytest.param("+86-138-1234-5678", "+8613812345678", id="plus-86-with-dashes"),
        pytest.param("+86 138 1234 5678", "+8613812345678", id="plus-86-with-spaces"),
        pytest.param("8613812345678", "+8613812345678", id="86-without-plus"),
        pytest.param("0086 13812345678", "+8613812345678", id="0086"),
        pytest.param("１３８１２３４５６７８", "+8613812345678", id="full-width-digits"),
        pytest.param(" 138-1234-5678 ", "+8613812345678", id="surrounding-spaces"),
        pytest.param("021-5555 0000", "+862155550000", id="shanghai-landline"),
        pytest.param("0755-12345678", "+8675512345678", id="shenzhen-landline"),
        pytest.param("010-12345678", "+861012345678", id="beijing-landline"),
        pytest.param("(021) 5555-0000", "+862155550000", id="area-code-in-brackets"),
        pytest.param("+86 (0)21 5555 0000", "+862155550000", id="trunk-zero-after-86-dropped"),
        pytest.param("+1 415 555 0100", "+14155550100", id="other-country"),
    ],
)
def test_phone_normalizes_chinese_mobiles_and_landlines_to_e164(value: Any, expected: str) -> None:
    assert run("[phone]", value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("abc", id="letters"),
        pytest.param("12345", id="too-short"),
        pytest.param("138 1234 567", id="mobile-one-digit-short"),
        pytest.param("12345678901", id="eleven-digits-not-a-mobile-prefix"),
        pytest.param("+86 999", id="plus-86-too-short"),
        pytest.param("+1234567890123456789", id="too-long"),
        pytest.param("   ", id="blank"),
    ],
)
def test_phone_refuses_garbage(value: str) -> None:
    assert "not a phone number" in refused("[phone]", value).reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(" Buyer@Example.CN ", "buyer@example.cn", id="trim-and-lower"),
        pytest.param("\u3000li.lei+po@example.com.cn", "li.lei+po@example.com.cn", id="full-width-space"),
    ],
)
def test_email_trims_lowers_and_checks(value: str, expected: str) -> None:
    assert run("[email]", value) == expected


@pytest.mark.parametrize("value", ["bob", "bob@", "bob@example", "@example.com", "a b@example.com", "a@b@c.cn"])
def test_email_refuses_what_is_not_an_address(value: str) -> None:
    assert "not an e-mail address" in refused("[email]", value).reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("", MISSING, id="empty-text"),
        pytest.param("   ", MISSING, id="spaces"),
        pytest.param("\u3000\xa0", MISSING, id="full-width-space-and-nbsp"),
        pytest.param("\u200b", MISSING, id="zero-width-space"),
        pytest.param([], MISSING, id="empty-list"),
        pytest.param({}, MISSING, id="empty-object"),
        pytest.param(" x ", " x ", id="text-kept-as-is"),
        pytest.param(0, 0, id="zero-is-a-value"),
        pytest.param(False, False, id="false-is-a-value"),
        pytest.param([""], [""], id="list-with-an-item-is-a-value"),
    ],
)
def test_empty_to_null_makes_empty_values_missing(value: Any, expected: Any) -> None:
    assert run("[empty_to_null]", value) == expected


def test_empty_to_null_lets_default_fill_the_field() -> None:
    m = mapping("note: {from: v, pipe: [trim, empty_to_null], default: 无}", id_path="id")

    assert m.apply({"id": "1", "v": "\u3000 "})["note"] == "无"


# -- pipes over lists and missing values ------------------------------------------------------


@pytest.mark.parametrize(
    ("pipe", "value", "expected"),
    [
        pytest.param("[phone]", ["138 1234 5678", "021-5555 0000"], ["+8613812345678", "+862155550000"],
                     id="phone"),
        pytest.param("[trim, upper]", [" a ", "b\u3000"], ["A", "B"], id="trim-upper"),
        pytest.param("[{decimal: 2}]", ["1.005", 2], [Decimal("1.01"), Decimal("2.00")], id="decimal"),
        pytest.param("[{prefix: KD-}]", [1, 2], ["KD-1", "KD-2"], id="prefix"),
        pytest.param("[email]", [" A@B.CN "], ["a@b.cn"], id="email"),
        pytest.param('[{split: ","}, phone]', "138 1234 5678, 13912345678", ["+8613812345678", "+8613912345678"],
                     id="split-then-per-item"),
        pytest.param('[trim, {join: ";"}]', [" a ", " b "], "a;b", id="per-item-then-join-whole"),
    ],
)
def test_steps_apply_per_item_to_a_list_except_split_join_and_empty_to_null(
    pipe: str, value: list[Any], expected: Any
) -> None:
    assert run(pipe, value) == expected


def test_one_bad_item_fails_the_field_of_a_list() -> None:
    error = refused("[phone]", ["138 1234 5678", "abc"])

    assert "not a phone number" in error.reason


@pytest.mark.parametrize(
    "pipe",
    [
        pytest.param(r"[{regex: '^X(\d+)'}, trim, upper]", id="after-regex-without-match"),
        pytest.param("[trim, empty_to_null, phone]", id="after-empty-to-null"),
    ],
)
def test_a_step_never_sees_a_missing_value(pipe: str) -> None:
    assert run(pipe, "  ") is MISSING


def test_a_pipe_does_not_run_on_a_missing_value() -> None:
    m = mapping("note: {from: v, pipe: [phone], default: none}", id_path="id")

    assert m.apply({"id": "1"})["note"] == "none"


# -- steps written wrongly --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "message"),
    [
        pytest.param("trm", "unknown step 'trm' (did you mean 'trim'?)", id="unknown-with-suggestion"),
        pytest.param("frobnicate", "unknown step 'frobnicate'; steps: ", id="unknown-lists-steps"),
        pytest.param("{phnoe: 1}", "unknown step 'phnoe' (did you mean 'phone'?)", id="unknown-with-argument"),
        pytest.param("split", "needs an argument", id="argument-missing"),
        pytest.param("{trim: 1}", "takes no argument", id="argument-not-taken"),
        pytest.param("{decimal: -1}", "decimal takes the number of places", id="decimal-negative"),
        pytest.param("{decimal: two}", "decimal takes the number of places", id="decimal-text"),
        pytest.param("{decimal: true}", "decimal takes the number of places", id="decimal-boolean"),
        pytest.param("{datetime: {fromat: '%Y'}}", "datetime takes {format", id="datetime-unknown-key"),
        pytest.param("{datetime: {format: YYYY}}", "strptime pattern", id="datetime-format-without-percent"),
        pytest.param("{datetime: {tz: Mars/Olympus}}", "unknown time zone 'Mars/Olympus'", id="datetime-bad-zone"),
        pytest.param("{split: ''}", "split takes the separator", id="split-empty"),
        pytest.param("{replace: [a]}", "replace takes [old, new]", id="replace-one-item"),
        pytest.param("{replace: ['', x]}", "non-empty text to replace", id="replace-empty"),
        pytest.param("{regex: '('}", "invalid regular expression", id="regex-invalid"),
        pytest.param("{timestamp: h}", "timestamp takes the unit", id="timestamp-unit"),
        pytest.param("{multiply: 0}", "non-zero number", id="multiply-zero"),
        pytest.param("{divide: x}", "non-zero number", id="divide-text"),
        pytest.param("{prefix: ''}", "prefix takes the text", id="prefix-empty"),
        pytest.param("{trim: 1, upper: 2}", "one name with its argument", id="two-steps-in-one"),
    ],
)
def test_a_step_written_wrongly_is_a_load_error_with_its_line(step: str, message: str) -> None:
    text = mapping_yaml(f"number: FBillNo\nnote:\n  from: FNote\n  pipe:\n    - trim\n    - {step}")

    [detail] = config_error(text).details

    assert message in detail["message"]
    assert detail["line"] == line_of(text, f"- {step}")
    assert detail["path"] == "fields.note.pipe[1]"


def test_pipe_must_be_a_list() -> None:
    text = mapping_yaml("number: {from: FBillNo, pipe: trim}")

    [detail] = config_error(text).details

    assert "pipe is a list of steps" in detail["message"]
