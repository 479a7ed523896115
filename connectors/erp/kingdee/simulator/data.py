"""Seeded, deterministic, realistic Chinese business data for the simulator.

Companies with valid 18-character 统一社会信用代码 (GB 32100-2015 check character,
with a valid GB 11714 organisation code inside), addresses and phones of their city;
materials; sales orders with 1–5 lines (or a fixed number); receipts that pay some
orders in full and some in part; a few production orders.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

CITIES = (  # name, province, division code, area code, districts
    ("苏州", "江苏省", "320500", "0512", ("工业园区", "高新区", "吴中区", "相城区")),
    ("无锡", "江苏省", "320200", "0510", ("新吴区", "滨湖区", "锡山区")),
    ("常州", "江苏省", "320400", "0519", ("武进区", "新北区", "天宁区")),
    ("宁波", "浙江省", "330200", "0574", ("北仑区", "鄞州区", "慈溪市")),
    ("杭州", "浙江省", "330100", "0571", ("余杭区", "萧山区", "滨江区")),
    ("东莞", "广东省", "441900", "0769", ("长安镇", "松山湖", "虎门镇")),
    ("佛山", "广东省", "440600", "0757", ("顺德区", "南海区", "禅城区")),
    ("青岛", "山东省", "370200", "0532", ("黄岛区", "城阳区", "即墨区")),
    ("厦门", "福建省", "350200", "0592", ("海沧区", "集美区", "湖里区")),
    ("合肥", "安徽省", "340100", "0551", ("蜀山区", "包河区", "经开区")),
)
BRAND_A = "恒华精瑞鼎盛宏新永联嘉伟博金诚泰汇德和信"
BRAND_B = "信美工达盛通源隆昌兴科安顺力拓升辉邦业创"
INDUSTRIES = ("精密机械", "电子科技", "新材料", "自动化设备", "包装制品", "汽车零部件", "环保科技", "五金制品",
              "智能装备", "液压机械")
STREETS = ("星湖街", "金鸡湖大道", "长江路", "人民路", "建设路", "科技园路", "创业大道", "工业大道", "港城路", "东环路")
SELLERS = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽")
MOBILE_PREFIXES = ("138", "139", "136", "186", "189", "135", "150", "152", "158", "177")
MATERIALS = (  # name, base unit price
    ("不锈钢法兰 DN50", 86.5), ("深沟球轴承 6204-2RS", 12.8), ("伺服电机 750W", 1680.0),
    ("PLC 控制器 CPU1214C", 2350.0),
    ("铝型材 4040 (6米)", 138.0), ("气缸 SC50x100", 265.0), ("电磁阀 4V210-08", 58.0), ("同步带轮 HTD5M", 45.5),
    ("直线导轨 HGR20 (1米)", 320.0), ("蜗轮减速机 RV40", 410.0), ("变频器 2.2kW", 1280.0), ("光电传感器 E3Z-D61", 96.0),
    ("接近开关 M12", 38.5), ("触摸屏 7寸", 980.0), ("电缆 RVV 3x1.5 (100米)", 265.0), ("六角螺栓 M8x30 (100只)", 18.6),
    ("联轴器 梅花型 D30", 52.0), ("滚珠丝杠 SFU1605", 285.0), ("步进电机 57HS", 135.0), ("开关电源 24V 10A", 168.0),
)

BASE_TIME = datetime(2024, 1, 2, 8, 0, 0)


def uscc_check(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def org_code(rng: random.Random) -> str:
    """A 9-character organisation code (GB 11714) with its check character."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    total = sum(int(c) * w for c, w in zip(body, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def uscc(rng: random.Random, division: str) -> str:
    """统一社会信用代码: 9 (市场监管) 1 (企业) + division + organisation code + check."""
    first17 = "91" + division + org_code(rng)
    return first17 + uscc_check(first17)


def is_valid_uscc(code: str) -> bool:
    return len(code) == 18 and all(c in USCC_CHARS for c in code) and uscc_check(code[:17]) == code[17]


def kd_time(moment: datetime) -> str:
    """K3 Cloud's ``FModifyDate`` form: ``2024-05-01T10:20:30.123``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


_DATES: dict[date, str] = {}


def kd_date(moment: datetime) -> str:
    """A date field (``2024-05-01T00:00:00``); one shared string per day."""
    day = moment.date()
    text = _DATES.get(day)
    if text is None:
        text = _DATES[day] = day.strftime("%Y-%m-%dT00:00:00")
    return text


@dataclass(frozen=True)
class Company:
    number: str
    name: str
    short_name: str
    tax_id: str
    phones: str
    address: str
    seller: str
    forbid: str
    modified: str


class DataGenerator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        self.clock = BASE_TIME
        self.shared: dict[float, float] = {}

    def tick(self, same_share: float = 0.15, max_ms: int = 5000) -> str:
        """The next modification time; some rows share one timestamp, as bulk changes do."""
        if self.rng.random() >= same_share:
            self.clock += timedelta(milliseconds=self.rng.randint(1, max_ms))
        return kd_time(self.clock)

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + "".join(self.rng.choice("0123456789") for _ in range(8))

    def companies(self, count: int) -> list[Company]:
        rng, names, out = self.rng, set(), []
        for index in range(1, count + 1):
            city, province, division, area, districts = rng.choice(CITIES)
            brand = rng.choice(BRAND_A) + rng.choice(BRAND_B)
            industry = rng.choice(INDUSTRIES)
            name = f"{city}{brand}{industry}{rng.choice(('有限公司', '有限公司', '股份有限公司'))}"
            while name in names:
                name = name.replace("公司", "公司（分公司）", 1) if "分公司" not in name else name + "二部"
            names.add(name)
            landline = f"{area}-{rng.randint(5, 8)}{rng.randint(1000000, 9999999)}"
            phones = landline if rng.random() < 0.4 else (
                self.mobile() if rng.random() < 0.7 else f"{self.mobile()},{landline}")
            district = rng.choice(districts)
            address = f"{province}{city}市{district}{rng.choice(STREETS)}{rng.randint(1, 999)}号"
            out.append(Company(
                number=f"CUST{index:05d}", name=name, short_name=f"{city}{brand}", tax_id=uscc(rng, division),
                phones=phones, address=address, seller=rng.choice(SELLERS),
                forbid="B" if rng.random() < 0.03 else "A", modified=self.tick(),
            ))
        return out

    def order_lines(self, fixed: int | None) -> list[tuple[int, float, float]]:
        """(material index, qty, unit price with tax) per line."""
        count = fixed if fixed is not None else self.rng.randint(1, 5)
        lines = []
        for _ in range(count):
            material = self.rng.randrange(len(MATERIALS))
            price = self.share(round(MATERIALS[material][1] * (1 + self.rng.randint(-10, 15) / 100), 2))
            qty = self.share(float(self.rng.choice((1, 2, 5, 10, 20, 50, 100, 200)) * self.rng.randint(1, 3)))
            lines.append((material, qty, price))
        return lines

    def share(self, value: float) -> float:
        """One object per distinct value: 100,000 orders repeat few quantities and prices."""
        return self.shared.setdefault(value, value)

    def split_payment(self, total: float) -> list[float]:
        """Receipts for one order: paid in full (one or two receipts) or in part."""
        roll = self.rng.random()
        if roll < 0.45:
            return [total]
        if roll < 0.65:
            first = round(total * self.rng.choice((0.3, 0.5, 0.6)), 2)
            return [first, round(total - first, 2)]
        return [round(total * self.rng.choice((0.1, 0.2, 0.3, 0.5)), 2)]
