"""The pure rules: status codes, Retry-After, the retry schedule with jitter, and payload filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from hub.workspace.config import WebhooksConfig
from webhooks.outbound.matching import Route, filter_matches
from webhooks.outbound.policy import DeliveryPolicy, Verdict, parse_retry_after, retry_delay, verdict

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "rule"),
    [
        (200, Verdict.SUCCEEDED), (201, Verdict.SUCCEEDED), (204, Verdict.SUCCEEDED), (299, Verdict.SUCCEEDED),
        (301, Verdict.RETRY), (302, Verdict.RETRY), (307, Verdict.RETRY), (308, Verdict.RETRY),
        (400, Verdict.RETRY), (401, Verdict.RETRY), (404, Verdict.RETRY), (500, Verdict.RETRY),
        (410, Verdict.GONE),
        (429, Verdict.SLOW_DOWN), (502, Verdict.SLOW_DOWN), (503, Verdict.SLOW_DOWN), (504, Verdict.SLOW_DOWN),
        (None, Verdict.RETRY),
    ],
    ids=lambda v: str(v),
)
def test_status_code_rules(status: int | None, rule: Verdict) -> None:
    assert verdict(status) is rule


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        (format_datetime(NOW - timedelta(seconds=90), usegmt=True), 0.0),
        ("999999", 86400.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
    ids=["seconds", "spaces", "http-date", "date-in-the-past", "capped-at-a-day", "garbage", "empty", "absent"],
)
def test_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_each_delay_of_the_schedule_is_spread_by_ten_percent() -> None:
    schedule = (5.0, 300.0, 1800.0)

    assert retry_delay(schedule, 1, rand=lambda low, high: low) == pytest.approx(4.5)
    assert retry_delay(schedule, 2, rand=lambda low, high: high) == pytest.approx(330.0)
    assert retry_delay(schedule, 3, rand=lambda low, high: (low + high) / 2) == pytest.approx(1800.0)


def test_after_the_schedule_there_is_no_next_attempt() -> None:
    assert retry_delay((5.0, 300.0), 3) is None


def test_retry_after_replaces_the_scheduled_delay_but_not_the_schedules_end() -> None:
    assert retry_delay((5.0, 300.0), 1, retry_after=120.0) == 120.0
    assert retry_delay((5.0, 300.0), 3, retry_after=120.0) is None


def test_the_policy_comes_from_hub_yaml() -> None:
    config = WebhooksConfig(retry_schedule=[1, 2], concurrency=8, rotation_overlap=3600, disable_after=7200)

    policy = DeliveryPolicy.from_config(config)

    assert policy.retry_schedule == (1.0, 2.0)
    assert policy.concurrency == 8
    assert policy.rotation_overlap == timedelta(hours=1)
    assert policy.disable_after == timedelta(hours=2)


def test_the_defaults_are_the_documented_ones() -> None:
    policy = DeliveryPolicy.from_config(WebhooksConfig())

    assert policy.retry_schedule == (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
    assert (policy.concurrency, policy.timeout) == (4, 15.0)
    assert policy.rotation_overlap == timedelta(hours=24)
    assert policy.disable_after == timedelta(days=3)


ORDER = {"id": "ord_1", "currency": "CNY", "total": "12.50", "tags": ["VIP", "ERP"], "paid": False,
         "customer": {"tier": "gold"}, "owner": None}


@pytest.mark.parametrize(
    ("wanted", "matches"),
    [
        (None, True),
        ({}, True),
        ({"currency": "CNY"}, True),
        ({"currency": "USD"}, False),
        ({"currency": ["USD", "CNY"]}, True),
        ({"currency": "CNY", "paid": True}, False),
        ({"paid": False}, True),
        ({"total": 12.5}, False),
        ({"total": "12.50"}, True),
        ({"tags": "VIP"}, True),
        ({"tags": ["SVIP", "ERP"]}, True),
        ({"tags": "SVIP"}, False),
        ({"customer.tier": "gold"}, True),
        ({"customer.tier": "silver"}, False),
        ({"owner": None}, True),
        ({"missing": None}, True),
        ({"missing": "x"}, False),
    ],
    ids=lambda v: str(v),
)
def test_filters(wanted: dict[str, Any] | None, matches: bool) -> None:
    assert filter_matches(wanted, ORDER) is matches


def test_a_route_needs_both_the_type_and_the_filter() -> None:
    route = Route("sub_1", ("order.*",), {"currency": "CNY"})

    assert route.wants("order.paid", ORDER)
    assert not route.wants("customer.created", ORDER)
    assert not route.wants("order.paid", {**ORDER, "currency": "USD"})
