"""The simulated tenant: records, tokens, knobs and queued faults. Pure Python; app.py puts HTTP on it."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.erp.yonyou.simulator import seed
from connectors.erp.yonyou.simulator.query import QueryError, run_query

SHANGHAI = ZoneInfo("Asia/Shanghai")
TENANT_ID = "sim0tenant1"
APP_KEY = "sim-app-key-3f9a"
APP_SECRET = "sim-app-secret-7c1e5b"  # noqa: S105 - the simulator's own well-known test credential
BUSINESS_ERROR = "999"  # Yonyou's generic business error (bad query, unknown id, refused signature)


@dataclass
class Knobs:
    """Fault and behaviour knobs, set with ``POST /_sim/knobs``."""

    token_ttl: int = 7200  # seconds a token lives ("expire" in the token answer)
    token_max_uses: int | None = None  # a token dies after this many API calls (None: only by time)
    plain_text_token_paths: list[str] = field(default_factory=lambda: ["/yonbip/sd/voucherorder/detail"])
    timestamp_tolerance: int = 600  # getAccessToken refuses timestamps further than this from now
    max_page_size: int = 500
    latency_ms: int = 0  # added to every API call
    refuse_codes: list[str] = field(default_factory=list)  # batch save refuses customers with these codes
    data_centre: str = "c2"  # the path prefix discovery hands out (proves nothing is hard-coded)


@dataclass
class Fault:
    """One queued fault for the next ``times`` API calls whose path contains ``path``."""

    kind: str  # http_500 | http_503 | rate_limit | invalid_token
    times: int = 1
    code: str = "310046"  # for rate_limit: 310032 | 310039 | 310042 | 310046
    path: str = "/yonbip/"

    KINDS = ("http_500", "http_503", "rate_limit", "invalid_token")


@dataclass
class Token:
    expires_at: float
    uses: int = 0


class SimulatorState:
    def __init__(self, *, seed_value: int = 7, customers: int = 60, orders: int = 240,
                 tenant_id: str = TENANT_ID, app_key: str = APP_KEY, app_secret: str = APP_SECRET,
                 clock: Callable[[], float] = time.time) -> None:
        self.tenant_id, self.app_key, self.app_secret = tenant_id, app_key, app_secret
        self.clock = clock
        self.knobs = Knobs()
        self.faults: list[Fault] = []
        self.tokens: dict[str, Token] = {}
        self.tokens_issued = 0
        self.calls: list[tuple[str, str]] = []  # (method, path) of every API call, for tests
        self.customers: dict[str, dict[str, Any]] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self._next_id = 1_650_000_000_000_000
        self.reset(seed_value, customers, orders)

    def reset(self, seed_value: int = 7, customers: int = 60, orders: int = 240) -> None:
        rng = random.Random(seed_value)  # noqa: S311 - deterministic test data, not security
        people = seed.customers(customers, rng)
        self.customers = {c["id"]: c for c in people}
        self.orders = {o["id"]: o for o in seed.orders(orders, people, rng)} if people else {}
        self.faults.clear()
        self.tokens.clear()
        self.calls.clear()

    # -- time -------------------------------------------------------------------------------

    def now_pubts(self) -> str:
        return datetime.fromtimestamp(self.clock(), SHANGHAI).strftime(seed.PUBTS_FORMAT)

    # -- knobs and faults -------------------------------------------------------------------

    def set_knobs(self, values: dict[str, Any]) -> Knobs:
        known = {f.name for f in fields(Knobs)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown knobs {unknown}; known: {sorted(known)}")
        for name, value in values.items():
            setattr(self.knobs, name, value)
        return self.knobs

    def add_fault(self, kind: str, times: int = 1, code: str = "310046", path: str = "/yonbip/") -> Fault:
        if kind not in Fault.KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(Fault.KINDS)}")
        fault = Fault(kind, times, code, path)
        self.faults.append(fault)
        return fault

    def take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.path in path and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def describe(self) -> dict[str, Any]:
        return {"tenant_id": self.tenant_id, "customers": len(self.customers), "orders": len(self.orders),
                "tokens_issued": self.tokens_issued, "live_tokens": len(self.tokens), "calls": len(self.calls),
                "knobs": asdict(self.knobs), "faults": [asdict(f) for f in self.faults]}

    # -- tokens -----------------------------------------------------------------------------

    def expected_signature(self, app_key: str, timestamp: str) -> str:
        message = f"appKey{app_key}timestamp{timestamp}".encode()
        return base64.b64encode(hmac.new(self.app_secret.encode(), message, hashlib.sha256).digest()).decode()

    def issue_token(self, app_key: str | None, timestamp: str | None, signature: str | None) -> dict[str, Any]:
        """The getAccessToken answer: checks appKey, the timestamp's age and the signature."""
        if app_key != self.app_key:
            return {"code": "10018", "message": f"appKey {app_key} 不存在或已停用"}
        if not timestamp or not timestamp.isdigit():
            return {"code": BUSINESS_ERROR, "message": "timestamp 参数缺失或格式错误 (epoch milliseconds)"}
        if abs(int(timestamp) / 1000 - self.clock()) > self.knobs.timestamp_tolerance:
            return {"code": BUSINESS_ERROR, "message": "timestamp 已失效，请检查服务器时间"}
        if not signature or not hmac.compare_digest(signature, self.expected_signature(app_key, timestamp)):
            return {"code": BUSINESS_ERROR, "message": "签名校验失败 (signature mismatch)"}
        token = secrets.token_hex(16)
        self.tokens[token] = Token(self.clock() + self.knobs.token_ttl)
        self.tokens_issued += 1
        return {"code": "00000", "message": "成功！", "data": {"access_token": token, "expire": self.knobs.token_ttl}}

    def token_problem(self, token: str | None) -> str | None:
        """None when the token may call; else the code: 310001 (none given) or 310036 (invalid or expired)."""
        if not token:
            return "310001"
        held = self.tokens.get(token)
        if held is None or held.expires_at <= self.clock():
            return "310036"
        held.uses += 1
        if self.knobs.token_max_uses is not None and held.uses > self.knobs.token_max_uses:
            del self.tokens[token]
            return "310036"
        return None

    def expire_tokens(self) -> int:
        count = len(self.tokens)
        self.tokens.clear()
        return count

    # -- business APIs ----------------------------------------------------------------------

    def list_customers(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._list(self.customers.values(), body)

    def list_orders(self, body: dict[str, Any]) -> dict[str, Any]:
        headers = ({k: v for k, v in o.items() if k != "orderDetails"} for o in self.orders.values())
        return self._list(headers, body)

    def _list(self, records: Any, body: dict[str, Any]) -> dict[str, Any]:
        try:
            data = run_query(records, body, max_page_size=self.knobs.max_page_size)
        except QueryError as exc:
            return {"code": BUSINESS_ERROR, "message": str(exc)}
        data["recordList"] = copy.deepcopy(data["recordList"])
        return {"code": "200", "message": "操作成功", "data": data}

    def order_detail(self, order_id: str | None) -> dict[str, Any]:
        order = self.orders.get(order_id or "")
        if order is None:
            return {"code": BUSINESS_ERROR, "message": f"id为[{order_id}]的单据不存在或已被删除"}
        return {"code": "200", "message": "操作成功", "data": copy.deepcopy(order)}

    def batch_save_customers(self, body: Any) -> dict[str, Any]:
        items = body.get("data") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            return {"code": BUSINESS_ERROR, "message": "data 不能为空 (a list of customers)"}
        infos: list[dict[str, Any]] = []
        messages: list[str] = []
        for item in items:
            saved_or_reason = self._save_customer(item) if isinstance(item, dict) else "不是客户对象"
            if isinstance(saved_or_reason, dict):
                infos.append(copy.deepcopy(saved_or_reason))
            else:
                code = item.get("code") if isinstance(item, dict) else None
                messages.append(f"客户编码[{code}]：{saved_or_reason}")
        fail = len(items) - len(infos)
        return {"code": "200", "message": "操作成功" if not fail else f"部分失败：{fail} 条",
                "data": {"count": len(items), "sucessCount": len(infos), "failCount": fail,
                         "messages": messages, "infos": infos}}

    def _save_customer(self, item: dict[str, Any]) -> dict[str, Any] | str:
        """The saved customer, or why it was refused."""
        status = item.get("_status", "Insert")
        code = item.get("code")
        if not isinstance(code, str) or not code.strip():
            return "客户编码不能为空"
        if code in self.knobs.refuse_codes:
            return "保存失败：模拟拒绝 (refuse_codes)"
        values = {k: v for k, v in item.items() if k not in ("_status", "id")}
        if isinstance(values.get("name"), str):
            values["name"] = {"zh_CN": values["name"]}
        credit = values.get("creditCode")
        if credit not in (None, "") and not seed.is_valid_uscc(str(credit)):
            return f"统一社会信用代码[{credit}]格式不正确"
        if status == "Update":
            current = self.customers.get(str(item.get("id")))
            if current is None:
                return f"客户[{item.get('id')}]不存在"
            _merge(current, values)
            current["pubts"] = self.now_pubts()
            return current
        if status != "Insert":
            return f"_status 只能是 Insert 或 Update，收到 {status!r}"
        if any(c["code"] == code for c in self.customers.values()):
            return "客户编码已存在"
        name = values.get("name")
        if not isinstance(name, dict) or not str(name.get("zh_CN") or "").strip():
            return "客户名称不能为空"
        self._next_id += 1_024
        now = self.now_pubts()
        record = {"id": str(self._next_id), "stopstatus": False, "createOrg": seed.SALES_ORG[0],
                  "createOrg_name": "杭州总部", **values, "createTime": now, "pubts": now}
        self.customers[record["id"]] = record
        return record

    # -- control ----------------------------------------------------------------------------

    def modify(self, kind: str, record_id: str, values: dict[str, Any], pubts: str | None = None) -> dict[str, Any]:
        """Change a record as a user in the ERP would: fields merged, pubts moved to now (or ``pubts``)."""
        records = self.records(kind)
        if record_id not in records:
            raise KeyError(record_id)
        record = records[record_id]
        _merge(record, values)
        record["pubts"] = pubts or self.now_pubts()
        return copy.deepcopy(record)

    def delete(self, kind: str, record_id: str) -> None:
        records = self.records(kind)
        if record_id not in records:
            raise KeyError(record_id)
        del records[record_id]

    def records(self, kind: str) -> dict[str, dict[str, Any]]:
        if kind == "customers":
            return self.customers
        if kind == "orders":
            return self.orders
        raise KeyError(kind)


def _merge(target: dict[str, Any], values: dict[str, Any]) -> None:
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
