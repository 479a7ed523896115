"""Mapping files for the tool tests, and where they go."""

from __future__ import annotations

from pathlib import Path

import pytest


def customer_mapping(name: str = "kd-customer", *, name_pipe: str = "[trim]", tax_required: bool = False,
                     owner_lookup: bool = False) -> str:
    """A Kingdee customer mapping; v2 of a test passes ``name_pipe="[trim, upper]"``."""
    text = f"""\
version: 1
name: {name}
system: kingdee
object: BD_Customer
entity: customer
id: FNumber
fields:
  name: {{from: FName, pipe: {name_pipe}}}
  tax_id: {{from: FTaxNo, required: {"true" if tax_required else "false"}}}
"""
    if owner_lookup:
        text += "  owner:\n    from: FOwner\n    lookup: {system: kingdee, entity: customer}\n    required: false\n"
    return text


ORDER_MAPPING = """\
version: 1
name: kd-order
system: kingdee
object: SAL_SaleOrder
entity: order
id: FBillNo
fields:
  number: FBillNo
  status: FDocumentStatus
  total: {from: FBillAllAmount, pipe: [{decimal: 2}]}
  ordered_at:
    from: FDate
    pipe: [{datetime: {format: "%Y-%m-%d %H:%M:%S", tz: Asia/Shanghai}}]
  currency: {const: CNY}
"""

# Two errors: line 5 (unknown entity) and line 8 (unknown step).
BROKEN_MAPPING = """\
version: 1
name: broken
system: kingdee
object: X
entity: custmer
id: FNumber
fields:
  name: {from: FName, pipe: [trim, uper]}
"""

# Two errors: line 8 (unknown step) and line 9 (unknown canonical field).
BROKEN_FIELDS = """\
version: 1
name: broken-fields
system: kingdee
object: BD_Customer
entity: customer
id: FNumber
fields:
  name: {from: FName, pipe: [trim, uper]}
  nmae: FName
"""


def write(folder: Path, relative: str, text: str) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def use_shipped_dir(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Path:
    """Point the shipped mappings at ``folder`` (tests never see the repository's own mappings/)."""
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr("hub.mapping.registry.shipped_mappings_dir", lambda: folder)
    return folder
