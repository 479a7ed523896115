"""Contracts from approvals (审批) of the configured templates.

``oa/getapprovalinfo`` lists approval numbers (``sp_no``) applied between two times, at most
31 days apart, filtered by template and paged with ``new_cursor``; ``oa/getapprovaldetail``
gives each one. The hub's record is WeCom's ``info`` plus two things a mapping needs::

    {...info: sp_no, sp_name, sp_status, template_id, apply_time, applyer, sp_record, apply_data...,
     "controls": {control id and title -> plain value}   (see controls.py)
     "approved_at": epoch seconds of the final approval (sp_status 2 or 10), else null}

Listing is by *application* time, but a contract is signed when it is *approved*, often days
later. So the state keeps, besides the time listed up to (``cursor``), the approvals still in
review (``open``: sp_no -> apply_time); every incremental run looks at those again first, for
``approval_open_days`` after they were applied. A run's progress (template, window, page
cursor) is in the state too, so a crash resumes where the last committed page left off::

    {"cursor": 1717200000,                               listed completely up to here
     "data": {"open": {"202406010001": 1717000000},
              "run": {"until", "start", "template", "window", "page"}}}   only while a run is going

A full pull reads ``approval_history_days`` back; older approvals are not listed, so the
stream does not detect deletions (``sys_approval_change`` reports deletions: sp_status 7).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any

from connectors.wecom.client import WeComClient
from connectors.wecom.controls import flatten_controls
from connectors.wecom.settings import WeComSettings
from hub.errors import ConfigError
from hub.sdk import Page, StreamState, VendorRecordError

Record = dict[str, Any]
DAY = 86400
OVERLAP = 300  # seconds read again before the cursor: an approval made as the last run ended is not missed
IN_REVIEW = 1
APPROVED = (2, 10)  # approved, approved and paid


def approval_record(info: Record) -> Record:
    """WeCom's approval ``info`` with its controls flattened and the approval time."""
    approved_at = None
    if info.get("sp_status") in APPROVED:
        times = [int(d.get("sptime") or 0) for step in info.get("sp_record") or []
                 for d in step.get("details") or [] if d.get("sp_status") in APPROVED]
        approved_at = max(times, default=0) or None
    contents = (info.get("apply_data") or {}).get("contents")
    return {**info, "controls": flatten_controls(contents), "approved_at": approved_at}


async def approval_detail(client: WeComClient, sp_no: str) -> Record | None:
    """One approval as the hub's record, or None when WeCom does not know it."""
    try:
        body = await client.post("oa/getapprovaldetail", {"sp_no": sp_no}, scope="approvals")
    except VendorRecordError:
        return None
    info = body.get("info")
    return approval_record(info) if isinstance(info, dict) and info.get("sp_no") else None


async def fetch_approvals(client: WeComClient, ids: Sequence[str]) -> list[Record]:
    found = [await approval_detail(client, sp_no) for sp_no in dict.fromkeys(ids)]
    return [r for r in found if r is not None]


async def list_approvals(
    client: WeComClient, settings: WeComSettings, template: str, start: int, end: int, cursor: str = "",
    *, creator: str | None = None,
) -> tuple[list[str], str]:
    """One page of sp_nos of ``template`` applied in ``[start, end]``, and the next page's cursor ("" at the end)."""
    filters = [{"key": "template_id", "value": template}]
    if creator:
        filters.append({"key": "creator", "value": creator})
    body = await client.post("oa/getapprovalinfo", {
        "starttime": str(start), "endtime": str(end), "new_cursor": cursor, "size": settings.approvals_per_call,
        "filters": filters,
    }, scope="approvals")
    return [str(s) for s in body.get("sp_no_list") or []], str(body.get("new_next_cursor") or "")


async def read_contracts(
    client: WeComClient, settings: WeComSettings, state: StreamState, *, full: bool, clock: Callable[[], datetime],
) -> AsyncIterator[Page]:
    templates = settings.approval_templates
    if not templates:
        raise ConfigError("wecom: approval_templates is empty: list the template_id of your contract approval "
                          "template(s) in the connector's settings (审批 → the template → 模板ID)")
    now = int(clock().timestamp())
    open_: dict[str, int] = {} if full else {str(k): int(v) for k, v in (state.data.get("open") or {}).items()}
    run: dict[str, Any] | None = None if full else state.data.get("run")
    if run is None:
        since = now - settings.approval_history_days * DAY if full or state.cursor is None \
            else int(state.cursor) - OVERLAP
        run = {"until": now, "start": since, "template": 0, "window": since, "page": ""}
        if open_:
            rechecked = await _recheck(client, open_, now - settings.approval_open_days * DAY)
            yield Page(rechecked, StreamState(state.cursor, {"open": dict(open_), "run": dict(run)}))
    span = settings.approval_window_days * DAY
    while run["template"] < len(templates):
        records: list[Record] = []
        end = min(run["window"] + span - 1, run["until"])
        sp_nos, next_page = await list_approvals(client, settings, templates[run["template"]], run["window"], end,
                                                 run["page"])
        for sp_no in sp_nos:
            record = await approval_detail(client, sp_no)
            if record is not None:
                records.append(record)
                _track(open_, record, now - settings.approval_open_days * DAY)
        run = _advance(run, end, next_page)
        if run["template"] >= len(templates):
            yield Page(records, StreamState(run["until"], {"open": dict(open_)}))
            return
        if records:
            yield Page(records, StreamState(state.cursor, {"open": dict(open_), "run": dict(run)}))
    yield Page([], StreamState(run["until"], {"open": dict(open_)}))  # a run saved with more templates than now


def _advance(run: dict[str, Any], end: int, next_page: str) -> dict[str, Any]:
    """The run after one page: next page, else next window, else the next template from the start."""
    run = dict(run)
    if next_page:
        run["page"] = next_page
        return run
    run["page"] = ""
    run["window"] = end + 1
    if run["window"] > run["until"]:
        run["template"] += 1
        run["window"] = run["start"]
    return run


def _track(open_: dict[str, int], record: Record, oldest: int) -> None:
    apply_time = int(record.get("apply_time") or 0)
    if record.get("sp_status") == IN_REVIEW and apply_time >= oldest:
        open_[str(record["sp_no"])] = apply_time
    else:
        open_.pop(str(record["sp_no"]), None)


async def _recheck(client: WeComClient, open_: dict[str, int], oldest: int) -> list[Record]:
    """The approvals that were in review last time, as they are now; ``open_`` keeps those still in review."""
    records = []
    for sp_no, apply_time in sorted(open_.items()):
        open_.pop(sp_no)
        if apply_time < oldest:
            continue  # in review for longer than approval_open_days: callbacks still report it
        record = await approval_detail(client, sp_no)
        if record is not None:
            records.append(record)
            _track(open_, record, oldest)
    return records
