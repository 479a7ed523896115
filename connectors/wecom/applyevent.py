"""Starting an approval (``oa/applyevent``) on behalf of an employee; the answer is its ``sp_no``.

The pushed record names the template, the applicant and the form's values by control id or
title; the connector reads the template (``oa/gettemplatedetail``, once per template) to shape
each value as its control wants::

    {"template_id": "3Tka1eD6v6JUzhNZY9s9gT8K6ABkc8XP7hF8ZLDE", "creator_userid": "zhangsan",
     "controls": {"合同编号": "HT-2024-001", "合同金额": "128000.00", "签订日期": "2024-05-01",
                  "合同类型": "销售合同"},
     "summary": ["合同 HT-2024-001", "金额 128000.00"]}

(``apply_data`` in WeCom's own shape is sent as it is instead.) ``use_template_approver`` is 1
unless the record gives ``approver``.

Exactly once: with ``approval_reference_control`` (or the record's ``reference_control``) set to
a Text control of the template, the hub writes ``hub:<idempotency key>`` there and, before
starting, looks for an approval of the same template and applicant from the last
``approval_lookup_days`` carrying it; a retried start returns that one (``created=False``).
``applyevent`` is sent once per try: when its answer is lost the connector looks again before
trying again. Without a reference control a lost answer is reported, not retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from connectors.wecom.approvals import DAY, approval_detail, list_approvals
from connectors.wecom.client import WeComClient
from connectors.wecom.controls import text_of
from connectors.wecom.settings import WeComSettings
from hub.errors import RecordError, RetryableError
from hub.sdk import PushResult, RetryPolicy

log = logging.getLogger(__name__)

ATTEMPTS = 4
REFERENCE_PREFIX = "hub:"
BEIJING = timezone(timedelta(hours=8))
Control = dict[str, Any]


def _epoch(value: Any, where: str) -> str:
    if isinstance(value, bool):
        raise RecordError(f"{where}: expected a date, got a boolean")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise RecordError(f"{where}: {value!r} is not a date (2024-05-01, 2024-05-01T10:00:00+08:00 or epoch "
                              "seconds)") from None
    if isinstance(value, datetime):
        return str(int((value if value.tzinfo else value.replace(tzinfo=BEIJING)).timestamp()))
    if isinstance(value, date):
        return str(int(datetime.combine(value, time(), BEIJING).timestamp()))
    raise RecordError(f"{where}: expected a date, got {type(value).__name__}")


def _options(control: Control, value: Any, where: str) -> list[dict[str, str]]:
    options = ((control.get("config") or {}).get("selector") or {}).get("options") or []
    chosen = []
    for wanted in value if isinstance(value, list) else [value]:
        match = [o for o in options if str(wanted) in (o.get("key"), text_of(o.get("value")))]
        if not match:
            known = ", ".join(str(text_of(o.get("value"))) for o in options)
            raise RecordError(f"{where}: {wanted!r} is not one of the options ({known})")
        chosen.append({"key": str(match[0]["key"])})
    return chosen


def control_value(control: Control, value: Any, where: str) -> dict[str, Any]:
    """WeCom's value object for ``value`` in ``control`` (a template control: {property, config})."""
    kind = control["property"]["control"]
    if isinstance(value, dict):
        return value  # already WeCom's shape
    if kind in ("Text", "Textarea"):
        return {"text": str(value)}
    if kind == "Number":
        return {"new_number": str(value)}
    if kind == "Money":
        return {"new_money": str(value)}
    if kind == "Date":
        date_type = ((control.get("config") or {}).get("date") or {}).get("type") or "day"
        return {"date": {"type": date_type, "s_timestamp": _epoch(value, where)}}
    if kind == "Selector":
        selector_type = ((control.get("config") or {}).get("selector") or {}).get("type") or "single"
        return {"selector": {"type": selector_type, "options": _options(control, value, where)}}
    if kind == "Contact":
        users = value if isinstance(value, list) else [value]
        return {"members": [{"userid": str(u), "name": str(u)} for u in users]}
    raise RecordError(f"{where}: a {kind} control takes WeCom's value object (a mapping), not {value!r}")


class TemplateForm:
    """One template's controls, found by id or by title."""

    def __init__(self, template_id: str, detail: dict[str, Any]) -> None:
        self.template_id = template_id
        self.controls: list[Control] = [c for c in (detail.get("template_content") or {}).get("controls") or []
                                        if isinstance(c, dict) and isinstance(c.get("property"), dict)]
        self.by_key: dict[str, Control] = {}
        for control in self.controls:
            prop = control["property"]
            self.by_key.setdefault(str(prop.get("id")), control)
            for title in prop.get("title") or []:
                if isinstance(title, dict) and title.get("text"):
                    self.by_key.setdefault(str(title["text"]), control)

    def find(self, key: str) -> Control:
        control = self.by_key.get(key)
        if control is None:
            titles = ", ".join(str(text_of(c["property"].get("title"))) for c in self.controls)
            raise RecordError(f"wecom approval template {self.template_id} has no control {key!r}; its controls: "
                              f"{titles}")
        return control

    def contents(self, values: dict[str, Any]) -> list[dict[str, Any]]:
        filled: dict[str, dict[str, Any]] = {}
        for key, value in values.items():
            if value is None:
                continue
            control = self.find(str(key))
            prop = control["property"]
            filled[str(prop["id"])] = {"control": prop["control"], "id": prop["id"],
                                       "value": control_value(control, value, f"control {key}")}
        return list(filled.values())


def summary_list(lines: Any) -> list[dict[str, Any]]:
    texts = [str(line) for line in (lines if isinstance(lines, list) else [lines]) if line]
    return [{"summary_info": [{"text": text, "lang": "zh_CN"}]} for text in texts[:3]]


class ApprovalStarter:
    def __init__(
        self,
        client: WeComClient,
        settings: WeComSettings,
        *,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.client, self.settings, self.clock, self.sleep = client, settings, clock, sleep
        self.retry = retry or RetryPolicy()
        self._forms: dict[str, TemplateForm] = {}

    async def form(self, template_id: str) -> TemplateForm:
        if template_id not in self._forms:
            detail = await self.client.post("oa/gettemplatedetail", {"template_id": template_id}, scope="approvals")
            self._forms[template_id] = TemplateForm(template_id, detail)
        return self._forms[template_id]

    async def start(self, record: dict[str, Any], *, idempotency_key: str) -> PushResult:
        template_id, creator = record.get("template_id"), record.get("creator_userid")
        if not template_id or not creator:
            raise RecordError("wecom approval: template_id and creator_userid (the applicant's userid) are required")
        reference = REFERENCE_PREFIX + idempotency_key
        ref_key = record.get("reference_control") or self.settings.approval_reference_control
        body = await self._body(record, str(template_id), str(creator), reference, ref_key)
        sent = False
        for attempt in range(1, ATTEMPTS + 1):
            if ref_key:
                found = await self.find(str(template_id), str(creator), str(ref_key), reference)
                if found is not None:
                    return PushResult(found, created=sent)
            try:
                answer = await self.client.post("oa/applyevent", body, scope="approvals", once=True)
            except RetryableError as exc:
                if not ref_key:
                    raise
                sent = True  # the approval may exist now: look before starting another
                log.info("wecom applyevent %s: %s; looking it up before trying again", template_id, exc)
                await self.sleep(self.retry.backoff(attempt, getattr(exc, "retry_after", None)))
                continue
            return PushResult(str(answer["sp_no"]), created=True, raw={"sp_no": answer["sp_no"]})
        raise RetryableError(f"wecom applyevent {template_id}: no answer after {ATTEMPTS} tries",
                             details={"vendor": "wecom", "reference": reference})

    async def _body(self, record: dict[str, Any], template_id: str, creator: str, reference: str,
                    ref_key: Any) -> dict[str, Any]:
        if isinstance(record.get("apply_data"), dict):
            contents = list(record["apply_data"].get("contents") or [])
            form = await self.form(template_id) if ref_key else None
        else:
            form = await self.form(template_id)
            contents = form.contents(dict(record.get("controls") or {}))
        if ref_key and form is not None:
            control = form.find(str(ref_key))
            prop = control["property"]
            if prop["control"] not in ("Text", "Textarea"):
                raise RecordError(f"wecom approval: the reference control {ref_key!r} is a {prop['control']} "
                                  "control; it must be a Text control")
            contents = [c for c in contents if c.get("id") != prop["id"]]
            contents.append({"control": prop["control"], "id": prop["id"], "value": {"text": reference}})
        body: dict[str, Any] = {
            "creator_userid": creator, "template_id": template_id,
            "use_template_approver": 0 if record.get("approver") else int(record.get("use_template_approver", 1)),
            "apply_data": {"contents": contents},
            "summary_list": record.get("summary_list") or summary_list(record.get("summary") or []),
        }
        for key in ("approver", "notifyer", "notify_type"):
            if record.get(key) is not None:
                body[key] = record[key]
        return body

    async def find(self, template_id: str, creator: str, ref_key: str, reference: str) -> str | None:
        """The approval of this template and applicant carrying ``reference``, from the last lookup days."""
        now = int(self.clock().timestamp())
        start = now - self.settings.approval_lookup_days * DAY
        cursor = ""
        while True:
            sp_nos, cursor = await list_approvals(self.client, self.settings, template_id, start, now, cursor,
                                                  creator=creator)
            for sp_no in sp_nos:
                record = await approval_detail(self.client, sp_no)
                if record is not None and record["controls"].get(ref_key) == reference:
                    return sp_no
            if not cursor:
                return None
