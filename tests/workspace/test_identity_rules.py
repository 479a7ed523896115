"""The identity section: checked against the canonical model, converted to the store's StoreRules."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.store.rules import DEFAULT_RULES, EntityRules, StoreRules
from hub.workspace import load_workspace
from hub.workspace.identity import union_fields


def rules_of(tmp_path: Path, text: str) -> StoreRules:
    (tmp_path / "hub.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return load_workspace(tmp_path, env={}).store_rules


def errors_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        rules_of(tmp_path, text)
    return [f"{d['line']}: {d['path']}: {d['message']}" for d in caught.value.details]


def test_identity_section_becomes_store_rules(tmp_path: Path) -> None:
    rules = rules_of(
        tmp_path,
        """\
        identity:
          customer:
            match: [tax_id, phone, email]
            survivorship:
              name: [kingdee, yonyou]
              tax_id: [kingdee, yonyou]
              phones: [wecom, dingtalk]
            union: [phones, emails, tags]
        """,
    )

    assert rules.for_entity("customer") == EntityRules(
        match=("tax_id", "phone", "email"),
        survivorship={"name": ("kingdee", "yonyou"), "tax_id": ("kingdee", "yonyou"), "phones": ("wecom", "dingtalk")},
        union=frozenset({"phones", "emails", "tags"}),
    )


def test_without_identity_the_default_rules_apply(tmp_path: Path) -> None:
    rules = rules_of(tmp_path, "connectors: {}\n")

    assert rules.for_entity("customer") is DEFAULT_RULES["customer"]


def test_keys_left_out_keep_their_defaults(tmp_path: Path) -> None:
    rules = rules_of(tmp_path, "identity:\n  customer:\n    survivorship: {name: [yonyou]}\n")

    customer = rules.for_entity("customer")
    assert customer.match == DEFAULT_RULES["customer"].match
    assert customer.union == DEFAULT_RULES["customer"].union
    assert customer.survivorship == {"name": ("yonyou",)}


def test_empty_lists_switch_matching_and_union_off(tmp_path: Path) -> None:
    rules = rules_of(tmp_path, "identity:\n  customer: {match: [], union: []}\n")

    assert rules.for_entity("customer") == EntityRules(match=(), survivorship={}, union=frozenset())


def test_other_entities_take_survivorship_and_union(tmp_path: Path) -> None:
    rules = rules_of(
        tmp_path,
        "identity:\n  ticket: {survivorship: {status: [mail, wecom]}, union: [thread]}\n",
    )

    assert rules.for_entity("ticket") == EntityRules(
        survivorship={"status": ("mail", "wecom")}, union=frozenset({"thread"})
    )
    assert rules.for_entity("customer") is DEFAULT_RULES["customer"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "identity:\n  customer:\n    survivorship:\n      nmae: [kingdee]\n",
            "4: identity.customer.survivorship.nmae: customer has no field 'nmae' (did you mean 'name'?)",
        ),
        (
            "identity:\n  customer:\n    union: [phones, phone]\n",
            "3: identity.customer.union[1]: customer has no field 'phone' (did you mean 'phones'?)",
        ),
        (
            "identity:\n  customer:\n    union: [phones, name]\n",
            "3: identity.customer.union[1]: 'name' cannot be combined from several systems: only lists of plain "
            "values can (customer: phones, emails, tags)",
        ),
        (
            "identity:\n  order:\n    union: [lines]\n",
            "3: identity.order.union[0]: 'lines' cannot be combined from several systems: only lists of plain "
            "values can (order: none)",
        ),
        (
            "identity:\n  customer:\n    match:\n      - tax_id\n      - emial\n",
            "5: identity.customer.match[1]: unknown match kind 'emial' (did you mean 'email'?); "
            "known: tax_id, phone, email, name",
        ),
        (
            "identity:\n  customer:\n    match: [phone, phone]\n",
            "3: identity.customer.match[1]: 'phone' is listed twice",
        ),
        (
            "identity:\n  order:\n    match: [tax_id]\n",
            "3: identity.order.match: identity matching is only supported for customer; "
            "order records are matched through their crosswalk only",
        ),
        (
            "identity:\n  customer:\n    survivorship: {name: []}\n",
            "3: identity.customer.survivorship.name: list the systems whose value wins, highest priority first",
        ),
        (
            "identity:\n  customer:\n    survivorship: {name: [kingdee, kingdee]}\n",
            "3: identity.customer.survivorship.name[1]: 'kingdee' is listed twice",
        ),
        (
            "identity:\n  custmer: {match: [tax_id]}\n",
            "2: identity.custmer: unknown entity 'custmer' (did you mean 'customer'?); "
            "known: customer, order, ticket, contract, project, production_order",
        ),
        (
            "identity:\n  customer: {unoin: [tags]}\n",
            "2: identity.customer.unoin: unknown key 'unoin' (did you mean 'union'?)",
        ),
    ],
    ids=[
        "survivorship-unknown-field", "union-unknown-field", "union-not-a-list", "union-of-sub-records",
        "unknown-match-kind", "repeated-match-kind", "match-outside-customer", "survivorship-without-systems",
        "survivorship-repeated-system", "unknown-entity", "unknown-key",
    ],
)
def test_invalid_identity_rules_are_reported(tmp_path: Path, text: str, expected: str) -> None:
    assert errors_of(tmp_path, text) == [expected]


def test_identity_errors_are_reported_with_errors_in_other_sections(tmp_path: Path) -> None:
    text = "connectors:\n  kd: {tpye: kingdee}\nidentity:\n  customer: {union: [name]}\n"

    assert [e.split(":")[0] for e in errors_of(tmp_path, text)] == ["2", "2", "4"]


@pytest.mark.parametrize(
    ("entity", "fields"),
    [("customer", ("phones", "emails", "tags")), ("ticket", ("thread",)), ("order", ())],
    ids=["customer", "ticket", "order-lines-excluded"],
)
def test_union_fields_are_lists_of_plain_values(entity: str, fields: tuple[str, ...]) -> None:
    assert union_fields(entity) == fields
