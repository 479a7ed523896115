"""Message templates: every shipped one in Chinese and English, strict about missing data, overridable."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.dingtalk.templates import LANGUAGES, SHIPPED, TemplateError, Templates

DATA = {
    "contract": {"number": "HT-2024-0001", "amount": "120000.00", "signed_at": "2024-05-06T10:00:00+08:00"},
    "customer": {"name": "苏州恒信精密机械有限公司"}, "project": {"code": "PRJ-001", "manager": "张伟"},
    "order": {"number": "XSDD000042"},
    "production_order": {"number": "MO000007", "sku": "01.01.0002", "qty": "50", "planned_start": None,
                         "planned_finish": None},
    "title": "王芳提交的合同审批", "originator": "王芳", "url": "https://aflow.dingtalk.com/x",
}
NAMES = sorted({p.name.split(".")[0] for p in SHIPPED.glob("*.md")})


def test_every_shipped_template_exists_in_every_language() -> None:
    assert NAMES
    assert sorted(p.name for p in SHIPPED.glob("*.md")) == sorted(f"{n}.{lang}.md" for n in NAMES for lang in LANGUAGES)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_shipped_template_renders_a_title_and_text(name: str, lang: str) -> None:
    rendered = Templates().render(name, DATA, lang)

    assert rendered.title
    assert not rendered.title.startswith("#")
    assert "{{" not in rendered.text
    assert "None" not in rendered.text


def test_the_chinese_contract_notice_says_who_and_how_much() -> None:
    rendered = Templates().render("contract-signed", DATA, "zh")

    assert rendered.title == "合同已签署：HT-2024-0001"
    assert "苏州恒信精密机械有限公司" in rendered.text
    assert "¥120000.00" in rendered.text
    assert "PRJ-001" in rendered.text


def test_missing_data_is_an_error_naming_it_not_a_blank() -> None:
    with pytest.raises(TemplateError, match="contract"):
        Templates().render("contract-signed", {"customer": {"name": "x"}}, "zh")


def test_an_unknown_template_or_language_is_an_error() -> None:
    with pytest.raises(TemplateError, match=r"no message template nothing\.zh\.md"):
        Templates().render("nothing", DATA)
    with pytest.raises(TemplateError, match="language 'fr'"):
        Templates().render("contract-signed", DATA, "fr")


def test_a_workspace_folder_overrides_the_shipped_template(tmp_path: Path) -> None:
    (tmp_path / "contract-signed.zh.md").write_text("# 签了：{{ contract.number }}\n恭喜", encoding="utf-8")

    rendered = Templates(tmp_path).render("contract-signed", DATA, "zh")

    assert (rendered.title, rendered.text) == ("签了：HT-2024-0001", "# 签了：HT-2024-0001\n恭喜")
