"""Deterministic, realistic seed data: Chinese companies (with valid 统一社会信用代码) and sales orders.

The same seed gives the same records, ids and ``pubts`` every time. ``pubts`` advance in
small random steps and some records share a second, as bulk edits do in a real tenant.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

PUBTS_FORMAT = "%Y-%m-%d %H:%M:%S"
CUSTOMER_START = datetime(2024, 3, 1, 9, 0, 0)
ORDER_START = datetime(2024, 5, 6, 8, 30, 0)

# GB 32100-2015: the 统一社会信用代码 alphabet (no I, O, S, V, Z) and weights of its check character.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714: the 9-character organisation code inside it

# city, district, administrative division code, landline area code, roads
CITIES = (
    ("上海市", "浦东新区", "310115", "021", ("张江路", "川沙路", "金科路", "祖冲之路")),
    ("北京市", "海淀区", "110108", "010", ("中关村大街", "上地十街", "西二旗大街")),
    ("广东省深圳市", "南山区", "440305", "0755", ("科技南十二路", "高新南一道", "粤海大道")),
    ("浙江省杭州市", "西湖区", "330106", "0571", ("文一西路", "古墩路", "天目山路")),
    ("江苏省苏州市", "工业园区", "320571", "0512", ("星湖街", "金鸡湖大道", "苏虹中路")),
    ("广东省广州市", "天河区", "440106", "020", ("天河北路", "黄埔大道西", "珠江新城华夏路")),
    ("四川省成都市", "武侯区", "510107", "028", ("天府大道北段", "科华北路", "武侯大道")),
    ("湖北省武汉市", "洪山区", "420111", "027", ("光谷大道", "珞喻路", "关山大道")),
    ("江苏省南京市", "江宁区", "320115", "025", ("双龙大道", "天元中路", "胜太路")),
    ("浙江省宁波市", "鄞州区", "330212", "0574", ("天童南路", "宁南南路", "首南西路")),
    ("广东省佛山市", "顺德区", "440606", "0757", ("德胜东路", "新城路", "105国道")),
)
TRADE_NAMES = ("华东", "恒泰", "瑞丰", "金桥", "鼎盛", "宏达", "德信", "中科", "汇通", "博远", "新锐", "天成",
               "永安", "精工", "创联", "海纳", "远航", "启明", "正和", "三维", "东方", "锦程", "华辰", "同方")
INDUSTRIES = ("精密机械", "电子科技", "新材料", "自动化设备", "医疗器械", "包装材料", "电气", "环保科技",
              "智能装备", "汽车零部件", "模具", "仪器仪表")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
         "秀英", "建华", "志强")
MOBILE_PREFIXES = ("138", "139", "136", "135", "150", "186", "188", "177", "159", "181")
CLASSES = ("直销客户", "经销商", "战略客户", "散户")
PRODUCTS = (
    ("CP-1001", "数控车床主轴 CK6150", "台", Decimal("18500.00")),
    ("CP-1002", "伺服电机 1.5kW", "台", Decimal("2360.00")),
    ("CP-1003", "PLC 控制模块 S7-1200", "个", Decimal("1890.50")),
    ("CP-1004", "不锈钢法兰 DN50", "件", Decimal("86.40")),
    ("CP-1005", "工业相机 500万像素", "台", Decimal("3980.00")),
    ("CP-1006", "气动电磁阀 4V210-08", "个", Decimal("45.80")),
    ("CP-1007", "滚珠丝杠 SFU1605", "根", Decimal("268.00")),
    ("CP-1008", "变频器 7.5kW", "台", Decimal("3150.00")),
    ("CP-1009", "线性导轨 HGH20CA", "套", Decimal("412.35")),
    ("CP-1010", "铝型材 4040 (6米)", "根", Decimal("156.00")),
    ("CP-1011", "PP 包装膜 50cm", "卷", Decimal("38.90")),
    ("CP-1012", "数显压力表 0-1.6MPa", "只", Decimal("520.00")),
)
ORDER_STATUSES = (  # nextStatusName, weight
    ("CONFIRMORDER", 3), ("DELIVERGOODS", 4), ("DELIVERY_PART", 2), ("DELIVERY_TAKE_PART", 1),
    ("TAKEDELIVERY", 2), ("ENDORDER", 5), ("OPPOSE", 1),
)
SALES_ORG = ("1529831837398784", "杭州总部销售组织")
CNY = {"currency": "G001ZM0000DEFAULTCURRENCT00000000001", "currency_code": "CNY", "originalName": "人民币",
       "exchRate": 1}


def uscc(division: str, rng: random.Random) -> str:
    """A 统一社会信用代码 with valid check characters: 9 (工商) 1 (企业) + division + organisation code + check."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    weighted = sum(int(c) * w for c, w in zip(body, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - weighted % 11
    org_code = body + ("X" if check == 10 else "0" if check == 11 else str(check))
    first17 = "91" + division + org_code
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return first17 + USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31] == code[17]


def _mobile(rng: random.Random) -> str:
    digits = rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))
    style = rng.randrange(3)
    if style == 1:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if style == 2:
        return f"+86-{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    return digits


def _step(rng: random.Random, when: datetime) -> datetime:
    return when if rng.random() < 0.12 else when + timedelta(seconds=rng.randint(1, 5400))


def customers(count: int, rng: random.Random) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    names: set[str] = set()
    when = CUSTOMER_START
    for n in range(1, count + 1):
        province, district, division, area, roads = rng.choice(CITIES)
        city_short = province.removesuffix("市").split("省")[-1].removesuffix("市")
        name = ""
        while not name or name in names:
            name = f"{city_short}{rng.choice(TRADE_NAMES)}{rng.choice(INDUSTRIES)}有限公司"
            if name in names:
                name = name.replace("有限公司", "股份有限公司") if rng.random() < 0.5 else ""
        names.add(name)
        when = _step(rng, when)
        record: dict[str, Any] = {
            "id": str(1_600_000_000_000_000 + n * 1_024),
            "code": f"KH{n:05d}",
            "name": {"zh_CN": name},
            "shortname": {"zh_CN": name.removeprefix(city_short)[:4]},
            "creditCode": uscc(division, rng),
            "contactName": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "address": f"{province}{district}{rng.choice(roads)}{rng.randint(1, 1999)}号",
            "customerClass_name": rng.choice(CLASSES),
            "createOrg": SALES_ORG[0],
            "createOrg_name": "杭州总部",
            "stopstatus": rng.random() < 0.08,
            "createTime": (when - timedelta(days=rng.randint(30, 900))).strftime(PUBTS_FORMAT),
            "pubts": when.strftime(PUBTS_FORMAT),
        }
        if rng.random() < 0.9:
            record["contactMobile"] = _mobile(rng)
        if rng.random() < 0.5:
            record["contactTel"] = f"{area}-{rng.randint(5000_0000, 8999_9999)}"
        out.append(record)
    return out


def orders(count: int, customer_records: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    when = ORDER_START
    per_day: dict[str, int] = {}
    statuses = [s for s, _ in ORDER_STATUSES]
    weights = [w for _, w in ORDER_STATUSES]
    for n in range(1, count + 1):
        when = _step(rng, when)
        day = when.strftime("%Y%m%d")
        per_day[day] = per_day.get(day, 0) + 1
        customer = rng.choice(customer_records)
        order_id = str(1_700_000_000_000_000 + n * 2_048)
        lines = []
        for line_no, (sku, product, unit, price) in enumerate(rng.sample(PRODUCTS, rng.randint(1, 4)), start=1):
            qty = Decimal(rng.choice((1, 2, 3, 5) if price >= 1000 else (5, 10, 20, 50, 100, 200)))
            amount = (qty * price).quantize(Decimal("0.01"), ROUND_HALF_UP)
            lines.append({
                "id": str(int(order_id) + line_no),
                "orderId": order_id,
                "lineno": line_no * 10,
                "productId": str(2_100_000_000_000 + PRODUCTS.index((sku, product, unit, price))),
                "realProductCode": sku,
                "productName": product,
                "masterUnitId_name": unit,
                "qty": int(qty),
                "oriTaxUnitPrice": float(price),
                "oriSum": float(amount),
            })
        total = sum((Decimal(str(line["oriSum"])) for line in lines), Decimal(0))
        out.append({
            "id": order_id,
            "code": f"UO-{day}{per_day[day]:06d}",
            "vouchdate": when.strftime("%Y-%m-%d 00:00:00"),
            "agentId": customer["id"],
            "agentId_name": customer["name"]["zh_CN"],
            "salesOrgId": SALES_ORG[0],
            "salesOrgId_name": SALES_ORG[1],
            "transactionTypeId_name": "普通销售",
            "nextStatusName": rng.choices(statuses, weights)[0],
            "payMoney": float(total),
            "orderPrices": dict(CNY),
            "receiveContacter": customer.get("contactName"),
            "creatorName": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "createTime": (when - timedelta(minutes=rng.randint(0, 240))).strftime(PUBTS_FORMAT),
            "pubts": when.strftime(PUBTS_FORMAT),
            "orderDetails": lines,
        })
    out.sort(key=lambda o: (o["pubts"], o["id"]))
    return out
