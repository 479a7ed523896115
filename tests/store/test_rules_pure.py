"""The pure parts of identity resolution and survivorship, as tables."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.store.identity import decide_match, identity_keys, normalize_name, normalize_phone
from hub.store.rules import EntityRules
from hub.store.survivorship import Contribution, merge_contributions


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("+86 138-1234-5678", "+8613812345678"),
        ("8613812345678", "+8613812345678"),
        ("0086 13812345678", "+8613812345678"),
        ("021-5555 0000", "+862155550000"),
        ("０２１－５５５５００００", "+862155550000"),
        ("+1 415 555 0100", "+14155550100"),
        ("n/a", None),
    ],
    ids=["mobile", "spaces", "plus86-dashes", "86-prefix", "00-prefix", "landline", "full-width", "foreign", "empty"],
)
def test_phone_normalisation(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


def test_company_names_match_across_full_width_brackets_and_spaces() -> None:
    assert normalize_name("华东机械（上海）有限公司") == normalize_name(" 华东机械 (上海) 有限公司")


def test_identity_keys_only_for_configured_kinds() -> None:
    fields = {"tax_id": "x1", "phones": ["13812345678"], "emails": ["A@B.CN"], "name": "华东"}

    assert identity_keys(fields, ["email"]) == {("email", "a@b.cn")}
    assert ("tax_id", "X1") in identity_keys(fields, ["tax_id", "phone"])


def _decide(keys: set[tuple[str, str]], index: dict[tuple[str, str], set[str]],
            tax_ids: dict[str, set[str]] | None = None, same_source: frozenset[str] = frozenset()):
    return decide_match(keys, ("tax_id", "phone", "email"), index,
                        tax_ids_of=lambda rid: (tax_ids or {}).get(rid, set()),
                        has_same_source=lambda rid: rid in same_source)


def test_tax_id_decides_before_phone() -> None:
    decision = _decide({("tax_id", "T"), ("phone", "+86138")}, {("tax_id", "T"): {"a"}, ("phone", "+86138"): {"b"}})

    assert decision.record_id == "a"
    assert decision.rule == "tax_id"


def test_no_key_in_common_means_a_new_record() -> None:
    decision = _decide({("phone", "+86138")}, {("phone", "+86139"): {"a"}})

    assert decision.record_id is None
    assert decision.review is None


@pytest.mark.parametrize(
    ("index", "tax_ids", "same_source", "reason"),
    [
        ({("phone", "P"): {"a", "b"}}, {}, frozenset(), "2 customers share this phone"),
        ({("phone", "P"): {"a"}}, {"a": {"OTHER"}}, frozenset(), "tax ids differ"),
        ({("phone", "P"): {"a"}}, {}, frozenset({"a"}), "same system"),
    ],
    ids=["two-candidates", "tax-id-conflict", "same-system"],
)
def test_doubtful_matches_go_to_review(
    index: dict[tuple[str, str], set[str]], tax_ids: dict[str, set[str]], same_source: frozenset[str], reason: str
) -> None:
    decision = _decide({("phone", "P"), ("tax_id", "MINE")}, index, tax_ids, same_source)

    assert decision.record_id is None
    assert decision.review is not None
    assert reason in decision.review


T1, T2 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)


def test_single_source_is_taken_as_is() -> None:
    merged = merge_contributions(("name", "phones"), [Contribution("kingdee", T1, {"name": "A"})], EntityRules())

    assert merged == {"name": "A", "phones": None}


def test_priority_system_wins_even_when_older_and_empty_values_fall_through() -> None:
    rules = EntityRules(survivorship={"name": ("kingdee",), "address": ("kingdee",)})
    sources = [
        Contribution("kingdee", T1, {"name": "华东机械有限公司", "address": ""}),
        Contribution("wecom", T2, {"name": "华东 张三", "address": "上海"}),
    ]

    merged = merge_contributions(("name", "address"), sources, rules)

    assert merged == {"name": "华东机械有限公司", "address": "上海"}


def test_union_keeps_priority_order_and_drops_duplicates() -> None:
    rules = EntityRules(survivorship={"tags": ("wecom",)}, union=frozenset({"tags"}))
    sources = [
        Contribution("kingdee", T2, {"tags": ["ERP", "VIP"]}),
        Contribution("wecom", T1, {"tags": ["VIP", "微信"]}),
    ]

    assert merge_contributions(("tags",), sources, rules) == {"tags": ["VIP", "微信", "ERP"]}


def test_attributes_keep_every_sources_keys_and_the_newest_wins_a_clash() -> None:
    sources = [
        Contribution("wecom", T1, {"attributes": {"contact_name": "张三", "stage": "lead"}}),
        Contribution("hub", T2, {"attributes": {"stage": "customer", "timeline": ["工单已解决"]}}),
    ]
    merged = merge_contributions(("attributes",), sources, EntityRules())
    assert merged == {"attributes": {"contact_name": "张三", "stage": "customer", "timeline": ["工单已解决"]}}
