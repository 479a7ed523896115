"""What the connector pushes: production orders, customers and receivables, saved idempotently.

A push writes the hub's idempotency key into a header field of the document
(``reference_field``, ``FDescription`` by default) as ``hub:<key>``. Before saving, it
looks the document up by that reference; if it is there (an earlier try saved it and
the answer was lost, or the worker died), the push returns it with ``created=False``
instead of saving a second one. ``Save`` itself is never retried blindly: when its
answer is lost (timeout, 5xx, rate limit) the push looks again first.

After saving, ``after_save: submit`` submits and ``after_save: audit`` submits and
audits; a retried push finishes those steps for a document it finds half-way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from connectors.erp.kingdee.client import KingdeeClient
from connectors.erp.kingdee.query import quote_literal
from connectors.erp.kingdee.settings import KingdeeSettings
from hub.errors import ConflictError, RetryableError
from hub.sdk import PushResult, RetryPolicy

log = logging.getLogger(__name__)

SAVE_ATTEMPTS = 4
REFERENCE_PREFIX = "hub:"
UNSUBMITTED = ("Z", "A", "D")  # 暂存, 创建, 重新审核


@dataclass(frozen=True)
class PushTarget:
    form_id: str
    id_key: str  # the internal id in the Save model (0 creates)
    number_key: str  # the document number, which the hub keeps as the external id
    org_keys: tuple[str, ...] = ()  # organisation fields filled from org_num when the record has none


TARGETS = {
    "PRD_MO": PushTarget("PRD_MO", "FID", "FBillNo", ("FPrdOrgId",)),
    "BD_Customer": PushTarget("BD_Customer", "FCUSTID", "FNumber", ("FCreateOrgId", "FUseOrgId")),
    # 应收单: K3 Cloud wants all three organisations (结算, 收款, 销售); one org_num fills them.
    "AR_receivable": PushTarget("AR_receivable", "FID", "FBillNo", ("FSETTLEORGID", "FPAYORGID", "FSALEORGID")),
}


def reference_for(idempotency_key: str) -> str:
    return REFERENCE_PREFIX + idempotency_key


def save_model(target: PushTarget, record: dict[str, Any], settings: KingdeeSettings, reference: str) -> dict[str, Any]:
    """The ``Model`` to save: the pushed record, our reference, the organisation, ``id 0`` for a new document."""
    model = dict(record)
    model.setdefault(target.id_key, 0)
    model[settings.reference_field] = reference
    if settings.org_num:
        for key in target.org_keys:
            model.setdefault(key, {"FNumber": settings.org_num})
    return model


class Pusher:
    def __init__(
        self,
        client: KingdeeClient,
        settings: KingdeeSettings,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.sleep = sleep

    async def push(self, action: str, record: dict[str, Any], *, idempotency_key: str) -> PushResult:
        target = TARGETS.get(action)
        if target is None:
            raise ConflictError(f"kingdee has no push action {action!r}", details={"actions": sorted(TARGETS)})
        reference = reference_for(idempotency_key)
        model = save_model(target, record, self.settings, reference)
        if model[target.id_key] not in (0, "0", None, ""):
            return await self._update(target, model)
        sent = False
        for attempt in range(1, SAVE_ATTEMPTS + 1):
            found = await self.find(target, reference)
            if found is not None:
                await self._finish(target, found[target.number_key], found.get("FDocumentStatus"))
                return PushResult(str(found[target.number_key]), created=sent, raw=found)
            try:
                saved = await self.client.save(target.form_id, model)
            except RetryableError as exc:
                sent = True  # the document may exist now: look again before saving again
                log.info("kingdee Save %s: %s; looking it up before trying again", target.form_id, exc)
                await self.sleep(self.retry.backoff(attempt, getattr(exc, "retry_after", None)))
                continue
            await self._finish(target, saved["Number"], "A")
            return PushResult(str(saved["Number"]), created=True, raw=saved)
        raise RetryableError(f"kingdee Save {target.form_id}: no answer after {SAVE_ATTEMPTS} tries",
                             details={"vendor": "kingdee", "reference": reference})

    async def find(self, target: PushTarget, reference: str) -> dict[str, Any] | None:
        """The document carrying ``reference``, if one was saved before."""
        keys = (target.id_key, target.number_key, "FDocumentStatus")
        rows = await self.client.query(
            target.form_id, keys,
            filter_string=f"{self.settings.reference_field}={quote_literal(reference)}",
            order_string=f"{target.id_key} ASC", limit=2,
        )
        return dict(zip(keys, rows[0], strict=True)) if rows else None

    async def _update(self, target: PushTarget, model: dict[str, Any]) -> PushResult:
        """Saving an existing document again is harmless, so a lost answer is simply retried."""
        for attempt in range(1, SAVE_ATTEMPTS + 1):
            try:
                saved = await self.client.save(target.form_id, model)
            except RetryableError as exc:
                if attempt == SAVE_ATTEMPTS:
                    raise
                await self.sleep(self.retry.backoff(attempt, getattr(exc, "retry_after", None)))
                continue
            return PushResult(str(saved["Number"]), created=False, raw=saved)
        raise AssertionError("unreachable")

    async def _finish(self, target: PushTarget, number: Any, status: Any) -> None:
        step = self.settings.after_save
        if step == "save" or number is None:
            return
        numbers = [str(number)]
        if status in UNSUBMITTED:
            await self.client.submit(target.form_id, numbers)
            status = "B"
        if step == "audit" and status == "B":
            await self.client.audit(target.form_id, numbers)
