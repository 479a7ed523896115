"""Seeded, deterministic Chinese data for the simulated DingTalk organisation.

Employees (userId, unionId, department), two approval templates (合同审批, the contract
template; 请假, a leave template the hub does not read) and their instances: contracts with
customer names, amounts, dates and payment terms, in every state (审批中, 已通过, 已拒绝, 已撤销).
Instance times are offsets from the simulator's clock at start, so a fresh simulator always
has history "up to now".
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

CONTRACT_CODE = "PROC-4C7B1E2A-9D3F-4E8A-B6C5-CONTRACT01"
LEAVE_CODE = "PROC-8A2D5F1C-3B7E-4C9D-A1E6-LEAVE00002"
REFERENCE_FIELD = "外部单号"  # a text field left empty by people: the hub keeps its reference there

EMPLOYEES = (  # userId, name, department id, department name
    ("manager0101", "张伟", 101, "销售一部"), ("sales0102", "王芳", 101, "销售一部"),
    ("sales0201", "李娜", 102, "销售二部"), ("sales0202", "刘洋", 102, "销售二部"),
    ("legal0301", "陈静", 103, "法务部"), ("finance0401", "杨帆", 104, "财务部"),
    ("ceo0001", "赵磊", 1, "总经办"), ("hr0501", "黄丽", 105, "人事行政部"),
)
APPROVERS = ("manager0101", "legal0301", "finance0401")
CUSTOMERS = (
    "苏州恒信精密机械有限公司", "无锡宏达电子科技有限公司", "常州鼎盛新材料有限公司", "宁波嘉伟自动化设备有限公司",
    "杭州博源包装制品有限公司", "东莞金诚汽车零部件有限公司", "佛山泰隆环保科技有限公司", "青岛汇昌五金制品有限公司",
    "厦门德兴智能装备有限公司", "合肥和安液压机械有限公司",
)
SUBJECTS = ("数控加工中心采购", "自动化产线改造", "年度备品备件供应", "智能仓储系统集成", "设备维保服务",
            "模具开发与试制", "包装线升级", "环保设备安装调试")
PAYMENT_TERMS = ("预付30%，验收后付70%", "月结60天", "货到付款", "分三期付款")
LEAVE_KINDS = ("年假", "事假", "病假", "调休")
# status, result, share of seeded contracts
OUTCOMES = (("COMPLETED", "agree", 0.55), ("COMPLETED", "refuse", 0.1), ("RUNNING", "", 0.25),
            ("TERMINATED", "", 0.05), ("NEW", "", 0.05))
OPEN = ("NEW", "RUNNING")


def dt_text(ms: int | None) -> str | None:
    """DingTalk v1.0's time text: ``2024-05-06T02:20Z`` (UTC, minutes)."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%MZ")


def union_id(user_id: str) -> str:
    """A stable unionId per employee (DingTalk's unionIds differ from userIds)."""
    return "uN" + uuid.uuid5(uuid.NAMESPACE_URL, f"dingtalk-sim/{user_id}").hex[:20]


@dataclass
class Template:
    code: str
    name: str
    fields: tuple[tuple[str, str], ...]  # (name, componentType)
    required: tuple[str, ...] = ()


TEMPLATES = {
    CONTRACT_CODE: Template(
        CONTRACT_CODE, "合同审批",
        (("合同编号", "TextField"), ("合同名称", "TextField"), ("客户名称", "TextField"), ("合同金额", "MoneyField"),
         ("签订日期", "DDDateField"), ("付款方式", "DDSelectField"), ("备注", "TextareaField"),
         (REFERENCE_FIELD, "TextField")),
        required=("合同编号", "客户名称", "合同金额"),
    ),
    LEAVE_CODE: Template(
        LEAVE_CODE, "请假",
        (("请假类型", "DDSelectField"), ("开始时间", "DDDateField"), ("结束时间", "DDDateField"),
         ("请假事由", "TextareaField")),
        required=("请假类型",),
    ),
}


@dataclass
class Task:
    task_id: int
    user_id: str
    status: str  # NEW, RUNNING, COMPLETED, CANCELED
    result: str  # AGREE, REFUSE, NONE
    create_ms: int
    finish_ms: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"taskId": self.task_id, "userId": self.user_id, "status": self.status, "result": self.result,
                "createTime": dt_text(self.create_ms), "finishTime": dt_text(self.finish_ms),
                "activityId": f"act_{self.task_id % 1000:03d}"}


@dataclass
class Instance:
    id: str
    process_code: str
    title: str
    originator: str
    status: str
    result: str
    business_id: str
    create_ms: int
    finish_ms: int | None
    form: dict[str, str]
    tasks: list[Task] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)

    def detail(self) -> dict[str, Any]:
        """The ``result`` of ``GET /v1.0/workflow/processInstances``."""
        template = TEMPLATES[self.process_code]
        types = dict(template.fields)
        dept = next(e for e in EMPLOYEES if e[0] == self.originator)
        return {
            "title": self.title, "finishTime": dt_text(self.finish_ms), "originatorUserId": self.originator,
            "originatorDeptId": str(dept[2]), "originatorDeptName": dept[3], "status": self.status,
            "approverUserIds": [t.user_id for t in self.tasks], "ccUserIds": [], "result": self.result,
            "businessId": self.business_id, "bizAction": "NONE", "createTime": dt_text(self.create_ms),
            "attachedProcessInstanceIds": [], "mainProcessInstanceId": "",
            "operationRecords": [dict(r) for r in self.records], "tasks": [t.as_json() for t in self.tasks],
            "formComponentValues": [
                {"id": f"{types.get(name, 'TextField')}-{index:04d}", "name": name, "value": value,
                 "componentType": types.get(name, "TextField"), "bizAlias": "", "extValue": ""}
                for index, (name, value) in enumerate(self.form.items())],
        }


class DataGenerator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - seeded test data, not security
        self.serial = 0

    def instance_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def business_id(self, create_ms: int) -> str:
        self.serial += 1
        return datetime.fromtimestamp(create_ms / 1000, UTC).strftime("%Y%m%d%H%M") + f"{self.serial:06d}"

    def outcome(self) -> tuple[str, str]:
        pick = self.rng.random()
        for status, result, share in OUTCOMES:
            if pick < share:
                return status, result
            pick -= share
        return OUTCOMES[0][0], OUTCOMES[0][1]

    def contract_form(self, number: int, create_ms: int) -> dict[str, str]:
        amount = Decimal(self.rng.randrange(2_000, 200_000) * 10)  # whole 10 yuan
        signed = datetime.fromtimestamp(create_ms / 1000, UTC).strftime("%Y-%m-%d")
        year = signed[:4]
        return {
            "合同编号": f"HT-{year}-{number:04d}", "合同名称": self.rng.choice(SUBJECTS),
            "客户名称": self.rng.choice(CUSTOMERS), "合同金额": f"{amount:.2f}", "签订日期": signed,
            "付款方式": self.rng.choice(PAYMENT_TERMS), "备注": "", REFERENCE_FIELD: "",
        }

    def leave_form(self, create_ms: int) -> dict[str, str]:
        day = datetime.fromtimestamp(create_ms / 1000, UTC).strftime("%Y-%m-%d")
        return {"请假类型": self.rng.choice(LEAVE_KINDS), "开始时间": day, "结束时间": day, "请假事由": "家中有事"}

    def instance(self, code: str, form: dict[str, str], create_ms: int, outcome: tuple[str, str]) -> Instance:
        originator = self.rng.choice(EMPLOYEES[:4] if code == CONTRACT_CODE else EMPLOYEES)[0]
        name = next(e[1] for e in EMPLOYEES if e[0] == originator)
        title = f"{name}提交的{TEMPLATES[code].name}"
        instance = Instance(self.instance_id(), code, title, originator, "RUNNING", "", self.business_id(create_ms),
                            create_ms, None, form)
        instance.records.append({"userId": originator, "date": dt_text(create_ms), "type": "START_PROCESS_INSTANCE",
                                 "result": "NONE", "remark": ""})
        instance.tasks.append(Task(self.rng.randrange(10**10, 10**11), APPROVERS[0], "RUNNING", "NONE", create_ms))
        status, result = outcome
        if status == "NEW":
            instance.status = "NEW"
        elif status not in OPEN:
            finish_ms = create_ms + self.rng.randrange(3_600_000, 5 * 86_400_000)
            finish(instance, status, result, finish_ms)
        return instance


def finish(instance: Instance, status: str, result: str, finish_ms: int) -> None:
    """Close an instance (the approver agrees or refuses, or the originator withdraws it)."""
    instance.status, instance.result, instance.finish_ms = status, result, finish_ms
    task_result = {"agree": "AGREE", "refuse": "REFUSE"}.get(result, "NONE")
    for task in instance.tasks:
        if task.status in ("NEW", "RUNNING"):
            task.status = "COMPLETED" if task_result != "NONE" else "CANCELED"
            task.result, task.finish_ms = task_result, finish_ms
    kind = "TERMINATE_PROCESS_INSTANCE" if status == "TERMINATED" else "EXECUTE_TASK_NORMAL"
    actor = instance.originator if status == "TERMINATED" else instance.tasks[-1].user_id
    instance.records.append({"userId": actor, "date": dt_text(finish_ms), "type": kind,
                             "result": task_result, "remark": "同意" if result == "agree" else ""})


def seed_instances(gen: DataGenerator, *, contracts: int, leaves: int, now_ms: int, days: int = 90
                   ) -> list[Instance]:
    """Contracts and leaves started over the last ``days`` days, open ones recent enough to still be open."""
    made = []
    span = days * 86_400_000
    for number in range(1, contracts + 1):
        create_ms = now_ms - span + (span * number) // (contracts + 1) - gen.rng.randrange(0, 3_600_000)
        create_ms -= create_ms % 60_000  # DingTalk's times show minutes
        outcome = gen.outcome()
        made.append(gen.instance(CONTRACT_CODE, gen.contract_form(number, create_ms), create_ms, outcome))
    for number in range(1, leaves + 1):
        create_ms = now_ms - span + (span * number) // (leaves + 1) - gen.rng.randrange(0, 3_600_000)
        create_ms -= create_ms % 60_000
        made.append(gen.instance(LEAVE_CODE, gen.leave_form(create_ms), create_ms, ("COMPLETED", "agree")))
    for instance in made:  # a finish time never lies in the simulator's future
        if instance.finish_ms is not None and instance.finish_ms > now_ms:
            instance.finish_ms = now_ms - 60_000
            for task in instance.tasks:
                task.finish_ms = instance.finish_ms if task.finish_ms is not None else None
            instance.records[-1]["date"] = dt_text(instance.finish_ms)
    return made
