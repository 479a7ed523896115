"""The K3 Cloud WebAPI on the wire: one method per service, every call through the SDK's VendorClient.

Every call is ``POST {base_url}{Service}.common.kdsvc`` with a JSON body. Reads are
retried on transient errors; ``Save`` is sent once (``save_once``) because a lost
answer may hide a created document: the caller looks it up before trying again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx

from connectors.erp.kingdee.auth import RequestSigner, SessionAuth, login_parameters
from connectors.erp.kingdee.errors import KINGDEE_ERRORS, response_status
from connectors.erp.kingdee.settings import KingdeeSettings
from hub.sdk import RateLimiter, RetryPolicy, VendorClient, VendorError

AUTH = "Kingdee.BOS.WebApi.ServicesStub.AuthService"
FORMS = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService"

Row = list[Any]


def service_path(service: str) -> str:
    """``ExecuteBillQuery`` -> ``Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc``."""
    prefix = AUTH if service in ("ValidateUser", "LoginByAppSecret") else FORMS
    return f"{prefix}.{service}.common.kdsvc"


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # K3 Cloud takes JSON numbers; 2–4 decimal places survive the round trip
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot send a {type(value).__name__} to K3 Cloud")


def encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_json_default).encode()


class KingdeeClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: KingdeeSettings,
        *,
        auth: SessionAuth | None,
        signer: RequestSigner | None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        limiter = RateLimiter(settings.max_calls_per_second) if settings.max_calls_per_second else None
        self.vendor = VendorClient(http, KINGDEE_ERRORS, retry=retry, limiter=limiter, auth=auth, sleep=sleep)
        self.once = VendorClient(http, KINGDEE_ERRORS, retry=RetryPolicy(attempts=1), limiter=limiter, auth=auth,
                                 sleep=sleep)
        self.signer = signer

    async def _call(self, service: str, body: Any, *, once: bool = False, authenticated: bool = True) -> Any:
        client = self.once if once else self.vendor
        return await client.call(
            "POST", service_path(service), what=service, content=encode(body),
            headers={"Content-Type": "application/json; charset=utf-8"},
            authenticated=authenticated, sign=self.signer,
        )

    # -- session ----------------------------------------------------------------------------

    async def login(self) -> str:
        """A new session id (``KDSVCSessionId``, also set as the ``kdservice-sessionid`` cookie)."""
        service = self.settings.login_service
        body = await self._call(service, {"parameters": login_parameters(self.settings)}, authenticated=False)
        session = body.get("KDSVCSessionId") if isinstance(body, dict) else None
        if not session:
            raise VendorError(f"kingdee {service}: the login succeeded but returned no KDSVCSessionId",
                              details={"vendor": "kingdee"})
        self.vendor.http.cookies.clear()  # the session travels in our own Cookie header, shared by workers
        return str(session)

    # -- reading ----------------------------------------------------------------------------

    async def query(
        self,
        form_id: str,
        field_keys: Sequence[str],
        *,
        filter_string: str = "",
        order_string: str = "",
        start_row: int = 0,
        limit: int = 2000,
        top_row_count: int = 0,
    ) -> list[Row]:
        """ExecuteBillQuery: the bare rows, each in ``field_keys`` order."""
        data = {
            "FormId": form_id, "FieldKeys": ",".join(field_keys), "FilterString": filter_string,
            "OrderString": order_string, "TopRowCount": top_row_count, "StartRow": start_row, "Limit": limit,
        }
        body = await self._call("ExecuteBillQuery", {"data": data})
        if not isinstance(body, list):
            raise VendorError(f"kingdee ExecuteBillQuery {form_id}: expected rows, got {type(body).__name__}",
                              details={"vendor": "kingdee", "form_id": form_id})
        width = len(field_keys)
        for row in body:
            if not isinstance(row, list) or len(row) != width:
                raise VendorError(
                    f"kingdee ExecuteBillQuery {form_id}: a row has {len(row) if isinstance(row, list) else '?'} "
                    f"columns for {width} FieldKeys", details={"vendor": "kingdee", "form_id": form_id})
        return body

    # -- writing ----------------------------------------------------------------------------

    async def save(self, form_id: str, model: dict[str, Any]) -> dict[str, Any]:
        """Save once (no automatic retry): returns ``{"Id", "Number"}`` of the saved document."""
        data = {
            "NeedUpDateFields": [], "NeedReturnFields": [], "IsDeleteEntry": "true",
            "IsVerifyBaseDataField": "false", "IsAutoSubmitAndAudit": "false", "Model": model,
        }
        body = await self._call("Save", {"formid": form_id, "data": data}, once=True)
        return _saved(body)

    async def submit(self, form_id: str, numbers: Sequence[str]) -> None:
        await self._call("Submit", {"formid": form_id, "data": {"Numbers": list(numbers), "Ids": ""}})

    async def audit(self, form_id: str, numbers: Sequence[str]) -> None:
        await self._call("Audit", {"formid": form_id, "data": {"Numbers": list(numbers), "Ids": ""}})

    async def view(self, form_id: str, number: str) -> dict[str, Any]:
        body = await self._call("View", {"formid": form_id, "data": {"Number": number}})
        result = body.get("Result", {}).get("Result") if isinstance(body, dict) else None
        return result if isinstance(result, dict) else {}


def _saved(body: Any) -> dict[str, Any]:
    status = response_status(body) or {}
    entities = status.get("SuccessEntitys") or []
    first = entities[0] if entities and isinstance(entities[0], dict) else {}
    result = body.get("Result", {}) if isinstance(body, dict) else {}
    return {"Id": first.get("Id", result.get("Id")), "Number": first.get("Number", result.get("Number"))}
