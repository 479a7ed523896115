"""What the connector pulls: approval instances (OA 审批) of the configured templates, read as contracts.

DingTalk lists instance ids by template and *start* time
(``POST /v1.0/workflow/processes/instanceIds/query`` with processCode, startTime, endTime,
nextToken, maxResults ≤ 20), then gives each instance's detail
(``GET /v1.0/workflow/processInstances?processInstanceId=``). There is no "changed since" filter,
and an instance changes after it starts (approved days later). So a run:

1. re-reads the instances the previous run left open (NEW or RUNNING: their outcome may have changed);
2. lists, template by template, the instances started since the previous run (a few minutes of
   overlap: a repeated record costs nothing, the store's upsert is idempotent);
3. ends with the state ``{"cursor": <end of the listed window, ms>, "data": {"open": [ids]}}``.

Pages in between carry ``data.run`` (the window, the template, DingTalk's nextToken, the ids
still to re-read), so a crashed run resumes at the next page. A full run lists the whole
``history_days`` window and re-reads the open ones too (some twice: harmless), so an open
instance older than the window is never lost from sight. Callbacks (bpms_instance_change)
fetch changed instances at once; the sync catches up on anything a callback missed.

Each record is the instance detail plus its id, with the form flattened by field name so a
mapping can say ``form.合同金额``::

    {"processInstanceId": "5f1c...", "title": "...", "status": "COMPLETED", "result": "agree",
     "createTime": "2024-05-06T02:20Z", "finishTime": "2024-05-07T09:01Z", "businessId": "...",
     "originatorUserId": "...", "formComponentValues": [...], "operationRecords": [...], "tasks": [...],
     "form": {"合同编号": "HT-2024-0001", "客户名称": "...", "合同金额": "120000.00", ...}}
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from connectors.dingtalk.client import DingTalkClient
from hub.sdk import Page, StreamState

STREAM = "process_instance"
OPEN_STATUSES = frozenset({"NEW", "RUNNING"})
OVERLAP_MS = 5 * 60 * 1000
DAY_MS = 86_400_000


def form_values(components: Any) -> dict[str, Any]:
    """``formComponentValues`` as ``{name: value}`` (the first of two same-named fields wins).

    Table fields (明细, ``TableField``) carry their rows as JSON text: they become lists.
    """
    form: dict[str, Any] = {}
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict) or not component.get("name"):
            continue
        name = str(component["name"])
        if name in form:
            continue
        value = component.get("value")
        if component.get("componentType") == "TableField" and isinstance(value, str):
            with contextlib.suppress(ValueError):  # else keep the text: the mapping sees what DingTalk sent
                value = json.loads(value)
        form[name] = value
    return form


def instance_record(instance_id: str, detail: dict[str, Any]) -> dict[str, Any]:
    """The raw record a mapping reads: the detail, its id, and the form by field name."""
    return {"processInstanceId": instance_id, **detail, "form": form_values(detail.get("formComponentValues"))}


async def fetch_instances(client: DingTalkClient, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The current records of these instances; ids DingTalk does not know are left out."""
    records = []
    for instance_id in dict.fromkeys(ids):
        detail = await client.get_instance(instance_id)
        if detail is not None:
            records.append(instance_record(instance_id, detail))
    return records


@dataclass
class _Run:
    """One read in progress (kept in the page state so a crash resumes at the next page)."""

    since: int  # ms: instances started at or after this ...
    until: int  # ... and at or before this are listed
    recheck: list[str] = field(default_factory=list)  # open instances of the previous run still to re-read
    code: int = 0  # index of the template being listed
    next_token: str | None = None  # DingTalk's nextToken within that template
    open: list[str] = field(default_factory=list)  # instances this run saw open, for the next run

    @classmethod
    def from_json(cls, value: Any) -> _Run | None:
        if not isinstance(value, dict):
            return None
        try:
            return cls(int(value["since"]), int(value["until"]), list(value.get("recheck") or []),
                       int(value.get("code") or 0), value.get("next_token"), list(value.get("open") or []))
        except (KeyError, TypeError, ValueError):
            return None  # a state from another version: start a new run


def _new_run(state: StreamState, *, full: bool, now_ms: int, history_days: int) -> _Run:
    oldest = now_ms - history_days * DAY_MS
    since = oldest if full or not isinstance(state.cursor, int) else max(state.cursor - OVERLAP_MS, oldest)
    return _Run(since, now_ms, recheck=[str(i) for i in state.data.get("open") or []])


async def read_instances(
    client: DingTalkClient,
    process_codes: Sequence[str],
    state: StreamState,
    *,
    full: bool,
    now_ms: int,
    history_days: int,
    page_size: int,
) -> AsyncIterator[Page]:
    """Pages of instance records (see the module docstring for the order and the state)."""
    resumed = None if full else _Run.from_json(state.data.get("run"))
    run = resumed or _new_run(state, full=full, now_ms=now_ms, history_days=history_days)
    while True:
        ids: list[str] = []
        if run.recheck:
            ids, run.recheck = run.recheck[:page_size], run.recheck[page_size:]
        elif run.code < len(process_codes):
            ids, following = await client.list_instance_ids(
                process_codes[run.code], run.since, run.until, run.next_token or 0, page_size)
            run.next_token = following
            if following is None:
                run.code += 1
        records = await fetch_instances(client, ids)
        run.open += [r["processInstanceId"] for r in records if r.get("status") in OPEN_STATUSES]
        done = not run.recheck and run.code >= len(process_codes)
        if done:
            yield Page(records, StreamState(run.until, {"open": list(dict.fromkeys(run.open))}))
            return
        yield Page(records, StreamState(state.cursor, {"run": asdict(run)}))
