"""Seeded, deterministic WeCom data: employees, corp tags, external contacts with their followers,
approval templates (a contract template and a leave template) and approvals.

Times are offsets before the simulator's ``now`` (approvals spread over the last 200 days),
so listing by time windows and incremental reads behave as they would on a live corp.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀英", "华", "建国", "志强", "海燕", "晓东", "丹")
PINYIN = {"王": "wang", "李": "li", "张": "zhang", "刘": "liu", "陈": "chen", "杨": "yang", "黄": "huang",
          "赵": "zhao", "吴": "wu", "周": "zhou", "徐": "xu", "孙": "sun", "马": "ma", "朱": "zhu", "胡": "hu",
          "郭": "guo", "何": "he", "高": "gao", "林": "lin", "罗": "luo"}
CITIES = ("苏州", "无锡", "杭州", "宁波", "东莞", "佛山", "青岛", "厦门", "合肥", "常州")
BRANDS = ("恒瑞", "华鼎", "精盛", "宏达", "永联", "嘉信", "博通", "金源", "诚泰", "汇德", "新昌", "伟业")
INDUSTRIES = ("精密机械", "电子科技", "新材料", "自动化设备", "包装制品", "汽车零部件", "环保科技", "五金制品")
POSITIONS = ("采购经理", "总经理", "技术总监", "采购专员", "财务经理", "生产主管", "")
MOBILE_PREFIXES = ("138", "139", "136", "186", "189", "135", "150", "152", "158", "177")
TAG_GROUPS = (
    ("etgroup_level", "客户等级", (("et_level_key", "重点客户"), ("et_level_normal", "普通客户"),
                                   ("et_level_new", "潜在客户"))),
    ("etgroup_industry", "行业", (("et_ind_mfg", "制造业"), ("et_ind_trade", "贸易"), ("et_ind_logistics", "物流"))),
    ("etgroup_source", "来源", (("et_src_fair", "展会"), ("et_src_web", "官网"), ("et_src_referral", "老客户介绍"))),
)
PERSONAL_TAGS = ("老朋友", "重要", "待回访")
CONTRACT_TEMPLATE = "3Tka1eD6v6JUzhNZY9s9gT8K6ABkc8XP7hF8ZLDE"
LEAVE_TEMPLATE = "C4NyPNT3aEszhJbnVo8zRkVXSBzuvMU1XBsF9ufAL"
CONTRACT_TYPES = (("option-sale", "销售合同", "Sales"), ("option-purchase", "采购合同", "Purchase"),
                  ("option-service", "服务合同", "Service"))
DAY = 86400


def _title(zh: str, en: str) -> list[dict[str, str]]:
    return [{"text": zh, "lang": "zh_CN"}, {"text": en, "lang": "en"}]


def contract_template() -> dict[str, Any]:
    """``gettemplatedetail`` of the example contract approval template (合同审批)."""
    def control(kind: str, cid: str, zh: str, en: str, require: int = 0, **config: Any) -> dict[str, Any]:
        return {"property": {"control": kind, "id": cid, "title": _title(zh, en), "placeholder": [],
                             "require": require, "un_print": 0}, "config": config}

    options = [{"key": key, "value": _title(zh, en)} for key, zh, en in CONTRACT_TYPES]
    return {
        "template_names": _title("合同审批", "Contract approval"),
        "template_content": {"controls": [
            control("Text", "Text-1570000000001", "合同编号", "Contract No.", 1),
            control("Text", "Text-1570000000002", "客户名称", "Customer", 1),
            control("Money", "Money-1570000000003", "合同金额", "Amount", 1),
            control("Date", "Date-1570000000004", "签订日期", "Signing date", 0, date={"type": "day"}),
            control("Selector", "Selector-1570000000005", "合同类型", "Contract type", 1,
                    selector={"type": "single", "options": options}),
            control("Textarea", "Textarea-1570000000006", "备注", "Remarks"),
            control("Text", "Text-1570000000007", "外部单号", "External reference"),
        ]},
    }


def leave_template() -> dict[str, Any]:
    return {
        "template_names": _title("请假", "Leave"),
        "template_content": {"controls": [
            {"property": {"control": "Textarea", "id": "Textarea-1560000000001", "title": _title("请假事由", "Reason"),
                          "placeholder": [], "require": 1, "un_print": 0}, "config": {}},
        ]},
    }


@dataclass
class Seeded:
    employees: list[dict[str, Any]] = field(default_factory=list)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)  # external_userid -> external_contact
    follows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # external_userid -> follow records
    approvals: dict[str, dict[str, Any]] = field(default_factory=dict)  # sp_no -> info


class DataGenerator:
    def __init__(self, seed: int, now: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - seeded test data, not security
        self.seed = seed
        self.now = now
        self.sp_sequence = 0

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + "".join(self.rng.choice("0123456789") for _ in range(8))

    def company(self) -> tuple[str, str]:
        city, brand, industry = self.rng.choice(CITIES), self.rng.choice(BRANDS), self.rng.choice(INDUSTRIES)
        return f"{brand}{industry}", f"{city}{brand}{industry}有限公司"

    def external_userid(self, n: int) -> str:
        digest = hashlib.sha256(f"{self.seed}:contact:{n}".encode()).hexdigest()
        return "wm" + digest[:30]

    def employees(self, count: int) -> list[dict[str, Any]]:
        people: list[dict[str, Any]] = []
        seen: set[str] = set()
        while len(people) < count:
            name = self.person()
            userid = PINYIN[name[0]] + str(len(people) + 1)
            if name not in seen:
                seen.add(name)
                people.append({"userid": userid, "name": name})
        return people

    def contact(
        self, n: int, employees: list[dict[str, Any]], created: int
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        external_userid = self.external_userid(n)
        name = self.person()
        wecom_user = self.rng.random() < 0.7  # type 2: a WeCom user, whose company WeCom knows
        short, full = self.company()
        contact: dict[str, Any] = {
            "external_userid": external_userid, "name": name, "position": self.rng.choice(POSITIONS),
            "avatar": f"https://wework.qpic.cn/wwhead/{external_userid[2:14]}/0", "type": 2 if wecom_user else 1,
            "gender": self.rng.choice((0, 1, 2)),
        }
        if wecom_user:
            contact.update(corp_name=short, corp_full_name=full)
        else:
            contact["unionid"] = "o" + hashlib.sha256(external_userid.encode()).hexdigest()[:27]
        followers = self.rng.sample(employees, k=self.rng.choice((1, 1, 1, 2, 2, 3)))
        follows = []
        for index, employee in enumerate(followers):
            corp_tags = [tag for _, _, tags in TAG_GROUPS for tag, _ in tags if self.rng.random() < 0.3]
            follows.append({
                "userid": employee["userid"], "remark": f"{name}-{short}", "description": "",
                "createtime": created + index * 3600, "tag_id": corp_tags,
                "personal_tags": [self.rng.choice(PERSONAL_TAGS)] if self.rng.random() < 0.3 else [],
                "remark_corp_name": "" if wecom_user else full,
                "remark_mobiles": [self.mobile()] if self.rng.random() < 0.85 else [],
                "oper_userid": employee["userid"], "add_way": self.rng.choice((1, 2, 3, 10)), "state": "",
            })
        return contact, follows

    def sp_no(self, apply_time: int) -> str:
        from datetime import UTC, datetime, timedelta

        self.sp_sequence += 1
        day = datetime.fromtimestamp(apply_time, UTC) + timedelta(hours=8)
        return day.strftime("%Y%m%d") + f"{self.sp_sequence:04d}"

    def contract_values(self, customer: str) -> dict[str, Any]:
        amount = self.rng.choice((12800, 36000, 58000, 88000, 128000, 256000, 480000)) + self.rng.randint(0, 99) * 100
        key, _, _ = self.rng.choice(CONTRACT_TYPES)
        return {"number": f"HT-{self.rng.randint(2023, 2024)}-{self.rng.randint(1, 9999):04d}", "customer": customer,
                "amount": f"{amount}.00", "type": key, "remark": self.rng.choice(("", "含安装调试", "分三期付款"))}


def contract_contents(values: dict[str, Any], signed_at: int | None, reference: str = "") -> list[dict[str, Any]]:
    """The ``apply_data.contents`` of a contract approval, as getapprovaldetail gives it."""
    template = {c["property"]["id"]: c["property"] for c in contract_template()["template_content"]["controls"]}

    def item(cid: str, value: dict[str, Any]) -> dict[str, Any]:
        prop = template[cid]
        return {"control": prop["control"], "id": cid, "title": prop["title"], "value": value}

    kind = next((k for k in CONTRACT_TYPES if k[0] == values["type"]), CONTRACT_TYPES[0])
    contents = [
        item("Text-1570000000001", {"text": values["number"]}),
        item("Text-1570000000002", {"text": values["customer"]}),
        item("Money-1570000000003", {"new_money": values["amount"]}),
        item("Selector-1570000000005", {"selector": {"type": "single", "options": [
            {"key": kind[0], "value": _title(kind[1], kind[2])}]}}),
        item("Textarea-1570000000006", {"text": values.get("remark", "")}),
        item("Text-1570000000007", {"text": reference}),
    ]
    if signed_at is not None:
        contents.insert(3, item("Date-1570000000004", {"date": {"type": "day", "s_timestamp": str(signed_at)}}))
    return contents
