"""An approval's form, flattened so a mapping can address it declaratively.

``getapprovaldetail`` gives the form as ``apply_data.contents``: a list of controls, each
``{control, id, title: [{text, lang}], value: {...}}`` with a value shaped by its type.
:func:`flatten_controls` turns it into one dict keyed by control id *and* by title, each
holding the plain value::

    {"Text-1569573760849": "HT-2024-001", "合同编号": "HT-2024-001",
     "Money-1569573773722": "128000.00", "合同金额": "128000.00",
     "Date-1569573790124": 1714521600, "签订日期": 1714521600, ...}

so a mapping says ``amount: {from: controls.合同金额, pipe: [{decimal: 2}]}``.

    control      value in the dict
    Text         the text                      Textarea   the text
    Number       new_number (text)             Money      new_money (text)
    Date         s_timestamp (epoch seconds)   DateRange  {begin, end} epoch seconds
    Selector     the chosen option's text (single) or a list of texts (multi)
    Contact      the userids (or department ids) chosen
    File         the file ids                  Table      a list of rows, each flattened the same way
    Tips         left out (no value)           others     WeCom's value object as it is
"""

from __future__ import annotations

from typing import Any

Controls = dict[str, Any]
PREFERRED_LANG = "zh_CN"


def text_of(texts: Any) -> str | None:
    """The zh_CN text of a WeCom multi-language list (``[{text, lang}]``), else the first one."""
    if not isinstance(texts, list):
        return str(texts) if isinstance(texts, str) else None
    items = [t for t in texts if isinstance(t, dict) and t.get("text") is not None]
    preferred = [t for t in items if t.get("lang") == PREFERRED_LANG]
    chosen = preferred or items
    return str(chosen[0]["text"]) if chosen else None


def _titles(texts: Any) -> list[str]:
    first = text_of(texts)
    others = [str(t["text"]) for t in texts if isinstance(t, dict) and t.get("text")] if isinstance(texts, list) else []
    return list(dict.fromkeys([*([first] if first else []), *others]))


def _epoch(value: Any) -> Any:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else value


def control_value(control: str, value: Any) -> Any:
    """The plain value of one control (see the module's table)."""
    if not isinstance(value, dict):
        return value
    if control in ("Text", "Textarea"):
        return value.get("text")
    if control == "Number":
        return value.get("new_number")
    if control == "Money":
        return value.get("new_money")
    if control == "Date":
        return _epoch((value.get("date") or {}).get("s_timestamp"))
    if control == "DateRange":
        span = value.get("date_range") or {}
        return {"begin": _epoch(span.get("new_begin")), "end": _epoch(span.get("new_end"))}
    if control == "Selector":
        selector = value.get("selector") or {}
        texts = [text_of(option.get("value")) for option in selector.get("options") or []]
        return texts if selector.get("type") == "multi" else (texts[0] if texts else None)
    if control == "Contact":
        members = [m.get("userid") for m in value.get("members") or []]
        return members or [d.get("openapi_id") for d in value.get("departments") or []]
    if control == "File":
        return [f.get("file_id") for f in value.get("files") or []]
    if control == "Table":
        return [flatten_controls(row.get("list") or []) for row in value.get("children") or []]
    return value


def flatten_controls(contents: Any) -> Controls:
    """``{control id: value, title: value}`` for every control with a value; the first of equal titles wins."""
    flat: Controls = {}
    titled: Controls = {}
    for item in contents if isinstance(contents, list) else []:
        if not isinstance(item, dict) or item.get("control") == "Tips":
            continue
        value = control_value(str(item.get("control")), item.get("value"))
        if item.get("id"):
            flat[str(item["id"])] = value
        for title in _titles(item.get("title")):
            titled.setdefault(title, value)
    for title, value in titled.items():
        flat.setdefault(title, value)  # an id never gives way to a title
    return flat
