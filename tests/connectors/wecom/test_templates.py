"""The shipped message templates render in both languages and every message kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.wecom.templates import MessageTemplates
from hub.errors import ConfigError, RecordError

DATA: dict[str, dict[str, Any]] = {
    "contract-signed": {"number": "HT-2024-0042", "amount": "128000.00", "customer": "苏州恒瑞精密机械有限公司",
                        "url": "https://hub.example.cn/contracts/con_1"},
    "customer-added": {"name": "苏州恒瑞精密机械有限公司", "owner": "zhangsan", "tags": ["重点客户", "制造业"],
                       "url": "https://hub.example.cn/customers/cus_1"},
    "order-confirmed": {"number": "SO-1001", "total": "1280.00", "currency": "CNY", "customer": "恒瑞",
                        "url": "https://hub.example.cn/orders/ord_1"},
    # The shipped flows' templates (nested data: the flow passes records).
    "project-created": {"project": {"code": "PRJ-HT-42", "name": "Rollout HT-42", "manager": "wangwu"},
                        "contract": {"number": "HT-42", "amount": "300000.00"}, "customer": "恒瑞",
                        "url": "https://pm.example.cn/projects/PRJ-HT-42"},
    "ticket-overdue": {"ticket": {"subject": "Order SO-1001 late", "priority": "high", "assignee": "zhangsan",
                                  "sla_due_at": "2026-11-25T18:00:00+08:00"},
                       "url": "https://hub.example.cn/console/records/ticket/tkt_1"},
}
TEMPLATES = MessageTemplates()


def _without_data(text: str, name: str) -> str:
    """The template's own words: the data's values (Chinese company names, tags) taken out."""
    for value in DATA[name].values():
        for item in value if isinstance(value, list) else [value]:
            text = text.replace(str(item), "")
    return text


def _identity(name: str) -> str:
    """What names the thing the message is about: its number or name (the project's code, the ticket's subject)."""
    data = DATA[name]
    nested = data.get("project", {}).get("code") or data.get("ticket", {}).get("subject")
    return str(data.get("number") or data.get("name") or nested)


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_the_shipped_templates_are_the_documented_ones() -> None:
    assert TEMPLATES.names() == sorted(DATA)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("msgtype", ["text", "markdown", "textcard"])
@pytest.mark.parametrize("name", sorted(DATA))
def test_each_template_renders_each_kind_in_each_language(name: str, msgtype: str, lang: str) -> None:
    body = TEMPLATES.render(name, lang, msgtype, DATA[name])

    text = " ".join(body.values())
    assert all(value.strip() for value in body.values())
    assert "{{" not in text
    assert _identity(name) in text
    assert _has_chinese(_without_data(text, name)) == (lang == "zh")
    if msgtype == "textcard":
        assert set(body) == {"title", "description", "url", "btntxt"}
        assert body["url"] == DATA[name]["url"]


def test_optional_values_may_be_missing_but_required_ones_may_not() -> None:
    body = TEMPLATES.render("customer-added", "zh", "text", {"name": "恒瑞", "url": "https://x"})

    assert body == {"content": "新客户：恒瑞（负责人：未分配）"}
    with pytest.raises(RecordError, match="'name' is undefined"):
        TEMPLATES.render("customer-added", "zh", "text", {"owner": "zhangsan"})


def test_an_unknown_template_or_language_says_what_exists() -> None:
    with pytest.raises(ConfigError, match="known: contract-signed, customer-added, order-confirmed"):
        TEMPLATES.render("invoice-paid", "zh", "text", {})
    with pytest.raises(RecordError, match="language 'fr'"):
        TEMPLATES.render("contract-signed", "fr", "text", {})


def test_a_workspace_folder_overrides_a_shipped_template(tmp_path: Path) -> None:
    (tmp_path / "contract-signed.zh.j2").write_text("{% block text %}合同{{ number }}好了{% endblock %}",
                                                    encoding="utf-8")

    body = MessageTemplates([tmp_path]).render("contract-signed", "zh", "text", {"number": "HT-1"})

    assert body == {"content": "合同HT-1好了"}
