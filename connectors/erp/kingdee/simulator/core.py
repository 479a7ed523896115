"""The simulated K3 Cloud: the WebAPI services over the forms, fault knobs, and the control methods.

``KingdeeSimulator.handle(service, path, headers, body)`` answers one WebAPI call
with ``(status, body, headers)``; :mod:`.app` puts HTTP around it. Tests drive the
same object directly (``sim.modify(...)``, ``sim.knobs.session_max_calls = 3``) or
through the ``/_sim`` control API.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from connectors.erp.kingdee.simulator.data import DataGenerator, kd_date, kd_time
from connectors.erp.kingdee.simulator.filters import FilterError, is_date_key
from connectors.erp.kingdee.simulator.forms import FormStore
from connectors.erp.kingdee.simulator.gateway import Account, Gateway, Knobs, Reply
from connectors.erp.kingdee.simulator.schema import FORMS, populate

if TYPE_CHECKING:
    from starlette.applications import Starlette

QUERY_SERVICES = ("ExecuteBillQuery",)
LOGIN_SERVICES = ("ValidateUser", "LoginByAppSecret")
BEIJING = timezone(timedelta(hours=8))
NUMBERS = frozenset({"FQty", "FTaxPrice", "FAllAmount", "FBillAllAmount", "FRECAMOUNTFOR_E", "FRECTOTALAMOUNTFOR",
                     "FPriceQty", "FALLAMOUNTFOR", "FALLAMOUNTFOR_D"})


class SimulatorError(Exception):
    """A refused request, answered as K3 Cloud would (error payload, HTTP 200)."""

    def __init__(self, message: str, field_name: str | None = None, msg_code: int = 0) -> None:
        super().__init__(message)
        self.field_name, self.msg_code = field_name, msg_code


class KingdeeSimulator:
    def __init__(
        self,
        seed: int = 1,
        *,
        customers: int = 200,
        orders: int = 1000,
        lines_per_order: int | None = None,
        receipt_share: float = 0.6,
        production_orders: int = 5,
        account: Account | None = None,
    ) -> None:
        self.knobs = Knobs()
        self.gateway = Gateway(account or Account(), self.knobs)
        self.account = self.gateway.account
        self.gen = DataGenerator(seed)
        self.forms = {form.form_id: FormStore(form) for form in FORMS}
        populate(self.forms, self.gen, customers=customers, orders=orders, lines_per_order=lines_per_order,
                 receipt_share=receipt_share, production_orders=production_orders)
        self.calls = 0
        self.by_service: Counter[str] = Counter()
        self.rows_served = 0

    @property
    def logins(self) -> int:
        return self.gateway.logins

    @property
    def app(self) -> Starlette:
        """The ASGI app serving this simulator (one per access; they share this state)."""
        from connectors.erp.kingdee.simulator.app import create_app

        return create_app(self)

    # -- the wire -----------------------------------------------------------------------------

    def handle(self, service: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        self.calls += 1
        self.by_service[service] += 1
        fault = self._fault(service)
        if fault is not None:
            return fault
        try:
            payload = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return 200, self._status(False, errors=[("", "请求数据不是有效的 JSON")]), {}
        if service in LOGIN_SERVICES:
            return self.gateway.login(service, payload)
        if "x-api-signature" in headers:
            refused = self.gateway.verify_signature(path, headers)
            if refused is not None:
                return refused
        elif not self.gateway.session_alive(headers):
            lost = self._status(False, errors=[("", "会话信息已丢失，请重新登录")], msg_code=1)
            return 200, ([[lost]] if service in QUERY_SERVICES else lost), {}
        try:
            return 200, self._dispatch(service, payload), {}
        except LostResponse:
            return 504, "<html><body><h1>504 Gateway Time-out</h1></body></html>", {}
        except SimulatorError as exc:
            status = self._status(False, errors=[(exc.field_name or "", str(exc))], msg_code=exc.msg_code)
            return 200, ([[status]] if service in QUERY_SERVICES else status), {}

    def _fault(self, service: str) -> Reply | None:
        k = self.knobs
        if k.http_500_next > 0 or self.calls in k.http_500_on_calls:
            k.http_500_next = max(0, k.http_500_next - 1)
            return 500, "<html><body><h1>500 - Internal server error.</h1></body></html>", {}
        if k.rate_limit_next > 0:
            k.rate_limit_next -= 1
            return 429, {"errcode": 429, "description": "请求过于频繁"}, {"Retry-After": str(k.retry_after)}
        if k.gateway_error_next > 0:
            k.gateway_error_next -= 1
            return 519, {"errcode": 5001, "description": "网关内部错误"}, {}
        return None

    def _status(self, ok: bool, *, errors: Sequence[tuple[str, str]] = (),
                entities: Sequence[dict[str, Any]] = (), msg_code: int = 0) -> dict[str, Any]:
        success: Any = ("true" if ok else "false") if self.knobs.success_as_text else ok
        return {"Result": {"ResponseStatus": {
            "ErrorCode": 0 if ok else 500, "IsSuccess": success,
            "Errors": [{"FieldName": f or None, "Message": m, "DIndex": 0} for f, m in errors],
            "SuccessEntitys": list(entities), "SuccessMessages": [], "MsgCode": msg_code,
        }}}

    # -- services -----------------------------------------------------------------------------

    def _dispatch(self, service: str, payload: dict[str, Any]) -> Any:
        data = payload.get("data")
        if isinstance(data, str):
            data = json.loads(data)  # the official SDKs send data as JSON text
        if not isinstance(data, dict):
            raise SimulatorError("缺少参数 data")
        if service == "ExecuteBillQuery":
            return self.execute_bill_query(data)
        form = self._form(str(payload.get("formid") or data.get("FormId") or ""))
        if service == "Save":
            return self.save(form, data)
        if service in ("Submit", "Audit"):
            return self.transition(form, data, service)
        if service == "View":
            return self.view(form, data)
        raise SimulatorError(f"不支持的服务 {service}")

    def _form(self, form_id: str) -> FormStore:
        store = self.forms.get(form_id)
        if store is None:
            raise SimulatorError(f"业务对象 {form_id!r} 不存在")
        return store

    def execute_bill_query(self, data: dict[str, Any]) -> list[list[Any]]:
        store = self._form(str(data.get("FormId", "")))
        keys = [k.strip() for k in str(data.get("FieldKeys", "")).split(",") if k.strip()]
        limit = int(data.get("Limit") or 0)
        try:
            rows = store.query(keys, str(data.get("FilterString") or ""), str(data.get("OrderString") or ""),
                               int(data.get("StartRow") or 0), limit, int(data.get("TopRowCount") or 0))
        except FilterError as exc:
            raise SimulatorError(str(exc)) from None
        self.rows_served += len(rows)
        return rows

    def save(self, store: FormStore, data: dict[str, Any]) -> dict[str, Any]:
        model = data.get("Model")
        if not isinstance(model, dict):
            raise SimulatorError("缺少参数 Model")
        form = store.form
        flat = _flatten(model)
        header = _dates({k: v for k, v in flat.items() if k in store.h})
        lines = [_dates(_flatten(line)) for line in model.get(form.entry) or []] if form.entry else []
        self._validate(store, header, lines)
        if form.form_id == "AR_receivable":
            _receivable_amounts(header, lines)
        fid = model.get(form.id_key) or 0
        if fid in (0, "0"):
            number = header.get(form.number_key)
            if number and store.find(str(number)) is not None:
                raise SimulatorError(f"编码“{number}”已经存在", form.number_key)
            header.update({"FDocumentStatus": "A", "FModifyDate": self.next_time()})
            header.setdefault(form.date_key, kd_date(self.gen.clock))
            doc = store.add(header, lines)
        else:
            found = store.docs.get(int(fid))
            if found is None:
                raise SimulatorError(f"单据 FID={fid} 不存在", form.id_key)
            if store.get("FDocumentStatus", found) in ("B", "C"):
                raise SimulatorError("单据已提交或已审核，不允许修改")
            store.update(found, header, self.next_time())
            if form.entry and form.entry in model:
                store.set_lines(found, lines)
            doc = found
        entity = {"Id": doc.header[store.id_i], "Number": doc.header[store.number_i], "DIndex": 0}
        reply = self._status(True, entities=[entity])
        reply["Result"].update(Id=entity["Id"], Number=entity["Number"], NeedReturnData=[{}])
        if self.knobs.lose_save_response_next > 0:
            self.knobs.lose_save_response_next -= 1
            raise LostResponse
        return reply

    def _validate(self, store: FormStore, header: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        form = store.form
        if form.form_id == "BD_Customer" and not str(header.get("FName") or "").strip():
            raise SimulatorError("客户名称不能为空", "FName")
        if form.form_id == "PRD_MO":
            if not lines:
                raise SimulatorError("生产订单至少需要一行明细", form.entry)
            materials = self.forms["BD_MATERIAL"]
            for line in lines:
                number = line.get("FMaterialId.FNumber")
                if not number or materials.find(str(number)) is None:
                    raise SimulatorError(f"物料“{number}”不存在或未审核", "FMaterialId")
                try:
                    qty = float(line.get("FQty") or 0)
                except (TypeError, ValueError):
                    qty = 0.0
                if qty <= 0:
                    raise SimulatorError("数量必须大于 0", "FQty")
        if form.form_id == "AR_receivable":
            self._validate_receivable(form.entry or "", header, lines)

    def _validate_receivable(self, entry: str, header: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        """应收单: an existing customer, at least one line, a positive 计价数量, a tax-inclusive price."""
        customer = header.get("FCUSTOMERID.FNumber")
        if not customer:
            raise SimulatorError("客户不能为空", "FCUSTOMERID")
        if self.forms["BD_Customer"].find(str(customer)) is None:
            raise SimulatorError(f"客户“{customer}”不存在或未审核", "FCUSTOMERID")
        if not lines:
            raise SimulatorError("应收单至少需要一行明细", entry)
        materials = self.forms["BD_MATERIAL"]
        for line in lines:
            material = line.get("FMATERIALID.FNumber")  # a service or contract line may have none
            if material and materials.find(str(material)) is None:
                raise SimulatorError(f"物料“{material}”不存在或未审核", "FMATERIALID")
            if not isinstance(line.get("FPriceQty"), int | float) or line["FPriceQty"] <= 0:
                raise SimulatorError("计价数量必须大于 0", "FPriceQty")
            if not isinstance(line.get("FTaxPrice"), int | float) or line["FTaxPrice"] < 0:
                raise SimulatorError("含税单价不能为空或小于 0", "FTaxPrice")

    def transition(self, store: FormStore, data: dict[str, Any], service: str) -> dict[str, Any]:
        numbers = data.get("Numbers") or []
        if isinstance(numbers, str):
            numbers = [n for n in numbers.split(",") if n]
        before, after = (("Z", "A", "D"), "B") if service == "Submit" else (("B",), "C")
        entities, errors = [], []
        for index, number in enumerate(numbers):
            doc = store.find(str(number))
            if doc is None:
                errors.append(("", f"单据 {number} 不存在"))
            elif store.get("FDocumentStatus", doc) not in before:
                errors.append(("", f"单据 {number} 的状态不允许{'提交' if service == 'Submit' else '审核'}"))
            else:
                store.update(doc, {"FDocumentStatus": after}, self.next_time())
                entities.append({"Id": doc.header[store.id_i], "Number": number, "DIndex": index})
        return self._status(not errors, errors=errors, entities=entities)

    def view(self, store: FormStore, data: dict[str, Any]) -> dict[str, Any]:
        doc = store.find(str(data.get("Number") or ""))
        if doc is None:
            raise SimulatorError("单据不存在或已删除")
        reply = self._status(True)
        reply["Result"]["Result"] = {"Id": doc.header[store.id_i], **store.as_dict(doc)}
        return reply

    # -- control (tests, /_sim) ---------------------------------------------------------------

    def next_time(self) -> str:
        self.gen.clock += timedelta(seconds=1)
        return kd_time(self.gen.clock)

    def modify(self, form_id: str, numbers: list[str], changes: dict[str, Any] | None = None) -> str:
        """Change documents (all at one new FModifyDate, as a bulk edit does); returns that time."""
        store = self._form(form_id)
        when = self.next_time()
        for number in numbers:
            doc = store.find(number)
            if doc is None:
                raise KeyError(f"{form_id} {number} does not exist")
            store.update(doc, dict(changes or {}), when)
        return when

    def delete(self, form_id: str, numbers: list[str]) -> None:
        store = self._form(form_id)
        for number in numbers:
            doc = store.find(number)
            if doc is not None:
                store.delete(doc)

    def add_receipt(self, order_number: str, amount: float, *, audited: bool = True) -> str:
        order = self.forms["SAL_SaleOrder"].find(order_number)
        customer = self.forms["SAL_SaleOrder"].get("FCustId.FNumber", order) if order is not None else None
        doc = self.forms["AR_RECEIVEBILL"].add(
            {"FDate": kd_date(self.gen.clock), "FCONTACTUNIT.FNumber": customer,
             "FDocumentStatus": "C" if audited else "A", "FRECTOTALAMOUNTFOR": amount,
             "FModifyDate": self.next_time()},
            [{"FSALEORDERNO": order_number, "FRECAMOUNTFOR_E": amount}],
        )
        return str(doc.header[self.forms["AR_RECEIVEBILL"].number_i])

    def documents(self, form_id: str, *, number: str | None = None, **where: Any) -> list[dict[str, Any]]:
        store = self._form(form_id)
        docs = [store.as_dict(d) for d in store]
        if number is not None:
            docs = [d for d in docs if str(d[store.form.number_key]) == number]
        return [d for d in docs if all(d.get(k) == v for k, v in where.items())]

    def set_knobs(self, **values: Any) -> Knobs:
        for name, value in values.items():
            if not hasattr(self.knobs, name):
                raise KeyError(f"unknown knob {name!r}; knobs: {', '.join(asdict(self.knobs))}")
            setattr(self.knobs, name, value)
        return self.knobs

    def stats(self) -> dict[str, Any]:
        return {"calls": self.calls, "logins": self.logins, "rows_served": self.rows_served,
                "by_service": dict(self.by_service), "sessions": len(self.gateway.sessions),
                "documents": {form_id: len(store) for form_id, store in self.forms.items()}}


class LostResponse(Exception):
    """Save did its work but the answer never arrives (the app answers 504)."""


def _flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"FCustId": {"FNumber": "C1"}}`` -> ``{"FCustId.FNumber": "C1"}`` (lists are left alone)."""
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            flat.update(_flatten(item, name + "."))
        else:
            flat[name] = item
    return flat


def _receivable_amounts(header: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    """K3 Cloud derives 价税合计 itself: each line's qty x tax-inclusive price, the header their sum."""
    for line in lines:
        line["FALLAMOUNTFOR_D"] = round(float(line["FPriceQty"]) * float(line["FTaxPrice"]), 2)
    header["FALLAMOUNTFOR"] = round(sum(line["FALLAMOUNTFOR_D"] for line in lines), 2)


def _dates(values: dict[str, Any]) -> dict[str, Any]:
    """Numbers and dates as K3 Cloud stores them: decimals as numbers, dates as Beijing wall time."""
    for key, value in values.items():
        if key in NUMBERS and isinstance(value, str):
            try:
                values[key] = float(value)
            except ValueError:
                raise SimulatorError(f"字段 {key} 的值“{value}”不是有效的数字", key) from None
        elif is_date_key(key) and isinstance(value, str) and value:
            try:
                moment = datetime.fromisoformat(value.replace(" ", "T", 1).replace("Z", "+00:00"))
            except ValueError:
                raise SimulatorError(f"字段 {key} 的值“{value}”不是有效的日期", key) from None
            if moment.tzinfo is not None:
                moment = moment.astimezone(BEIJING).replace(tzinfo=None)
            values[key] = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return values
