"""The simulated corp: its account, tokens, fault knobs, data, and the control methods tests call.

``WeComSimulator.handle(method, path, query, body)`` answers one API call as WeCom would
(always HTTP 200, errors inside the body); :mod:`.api` implements each API and :mod:`.app`
puts HTTP around it. Control methods change the corp the way people would in WeCom (a
contact added, a phone edited, an approval approved) and return the callback event WeCom
would send, ready for :meth:`WeComSimulator.send_callback`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.wecom.simulator.seed import (
    CONTRACT_TEMPLATE,
    DAY,
    LEAVE_TEMPLATE,
    TAG_GROUPS,
    DataGenerator,
    contract_contents,
    contract_template,
    leave_template,
)

if TYPE_CHECKING:
    import httpx
    from starlette.applications import Starlette

Answer = dict[str, Any]
REFRESHABLE = (40001, 40014, 42001)


def error(code: int, message: str) -> Answer:
    return {"errcode": code, "errmsg": f"{message}, hint: [{int(time.time())}_sim], more info at "
                                       f"https://open.work.weixin.qq.com/devtool/query?e={code}"}


def ok(**values: Any) -> Answer:
    return {"errcode": 0, "errmsg": "ok", **values}


@dataclass(frozen=True)
class Account:
    corp_id: str
    corp_secret: str
    contact_secret: str
    approval_secret: str
    agent_id: int
    callback_token: str
    encoding_aes_key: str

    @classmethod
    def for_seed(cls, seed: int) -> Account:
        def part(name: str, length: int) -> str:
            return hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()[:length]

        aes = hashlib.sha256(f"{seed}:aes".encode()).digest()
        return cls(corp_id="ww" + part("corp", 16), corp_secret=part("app-secret", 43),
                   contact_secret=part("contact-secret", 43), approval_secret=part("approval-secret", 43),
                   agent_id=1000002, callback_token=part("token", 16),
                   encoding_aes_key=base64.b64encode(aes).decode()[:43])


@dataclass
class Knobs:
    """Fault knobs (set directly, with ``set_knobs``, or ``POST /_sim/knobs``)."""

    token_lifetime: int = 7200  # expires_in given by gettoken
    busy_next: int = 0  # the next N API calls answer -1 (system busy)
    rate_limit_next: int = 0  # the next N API calls answer 45009
    ip_blocked: bool = False  # every call (gettoken too) answers 60020
    app_has_contacts: bool = True  # the app's own secret may call externalcontact/*
    app_has_approvals: bool = True  # ... and oa/*
    latency_ms: float = 0.0


@dataclass
class Token:
    value: str
    scope: str  # which secret made it: app, contacts, approvals
    expires_at: float
    dead: int | None = None  # an errcode this token now gets (expired early)


@dataclass
class SentMessage:
    msgid: str
    body: dict[str, Any]
    recipients: list[str]
    at: float


@dataclass
class WeComSimulator:
    seed: int = 7
    employees: int = 8
    contacts: int = 60
    approvals: int = 40
    now: int = field(default_factory=lambda: int(time.time()))
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.account = Account.for_seed(self.seed)
        self.knobs = Knobs()
        self.tokens: dict[str, Token] = {}
        self.gettoken_calls = 0
        self.calls: Counter[str] = Counter()
        self.messages: list[SentMessage] = []
        self.gen = DataGenerator(self.seed, self.now)
        self.staff = self.gen.employees(self.employees)
        created = self.now - 400 * DAY
        self.tag_groups: list[dict[str, Any]] = [
            {"group_id": gid, "group_name": name, "create_time": created, "order": i,
             "tag": [{"id": tid, "name": tname, "create_time": created, "order": j}
                     for j, (tid, tname) in enumerate(tags)]}
            for i, (gid, name, tags) in enumerate(TAG_GROUPS)
        ]
        self.templates = {CONTRACT_TEMPLATE: contract_template(), LEAVE_TEMPLATE: leave_template()}
        self.external: dict[str, dict[str, Any]] = {}
        self.follows: dict[str, list[dict[str, Any]]] = {}
        self.sp: dict[str, dict[str, Any]] = {}
        for n in range(self.contacts):
            self._store_contact(n, self.now - self.gen.rng.randint(30, 600) * DAY)
        for _ in range(self.approvals):
            self._seed_approval()
        self._contact_counter = self.contacts
        self._msg_counter = 0

    # -- the wire ------------------------------------------------------------------------------

    @property
    def app(self) -> Starlette:
        """An ASGI app serving this simulator (one per access; they share this state)."""
        from connectors.wecom.simulator.app import create_app

        return create_app(self)

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        from connectors.wecom.simulator.api import handle

        return handle(self, method, path, query, body)

    def issue_token(self, corp_id: str | None, secret: str | None) -> Answer:
        self.gettoken_calls += 1
        if corp_id != self.account.corp_id:
            return error(40013, "invalid corpid")
        scopes = {self.account.corp_secret: "app", self.account.contact_secret: "contacts",
                  self.account.approval_secret: "approvals"}
        if secret not in scopes:
            return error(40001, "invalid credential")
        value = secrets.token_urlsafe(48)
        self.tokens[value] = Token(value, scopes[secret], self.clock() + self.knobs.token_lifetime)
        return ok(access_token=value, expires_in=self.knobs.token_lifetime)

    def token_problem(self, value: str | None, family: str) -> int | None:
        """The errcode a call with this token gets, or None."""
        if not value:
            return 41001
        token = self.tokens.get(value)
        if token is None:
            return 40014
        if token.dead is not None:
            return token.dead
        if token.expires_at <= self.clock():
            return 42001
        allowed = {"app": {"app"}, "contacts": {"contacts"} | ({"app"} if self.knobs.app_has_contacts else set()),
                   "approvals": {"approvals"} | ({"app"} if self.knobs.app_has_approvals else set())}
        return None if token.scope in allowed[family] else 48002

    def expire_tokens(self, code: int = 42001) -> int:
        """End every token issued so far early: calls with them answer ``code`` (40001, 40014 or 42001)."""
        if code not in REFRESHABLE:
            raise ValueError(f"tokens end with one of {REFRESHABLE}")
        live = [t for t in self.tokens.values() if t.dead is None]
        for token in live:
            token.dead = code
        return len(live)

    def set_knobs(self, **values: Any) -> Knobs:
        for name, value in values.items():
            if not hasattr(self.knobs, name):
                raise KeyError(f"no knob {name!r}; knobs: {', '.join(asdict(self.knobs))}")
            setattr(self.knobs, name, value)
        return self.knobs

    @property
    def follow_staff(self) -> list[dict[str, Any]]:
        """The employees with customer contact (客户联系): all but the last, who shows the difference."""
        return self.staff[: max(1, len(self.staff) - 1)]

    def next_msgid(self) -> str:
        self._msg_counter += 1
        return f"msg{self.seed:04d}{self._msg_counter:08d}"

    # -- data ----------------------------------------------------------------------------------

    def _store_contact(self, n: int, created: int) -> str:
        contact, follows = self.gen.contact(n, self.follow_staff, created)
        self.external[contact["external_userid"]] = contact
        self.follows[contact["external_userid"]] = follows
        return str(contact["external_userid"])

    def _seed_approval(self) -> None:
        rng = self.gen.rng
        apply_time = self.now - rng.randint(1, 200) * DAY + rng.randint(0, DAY - 1)
        if rng.random() < 0.2:
            self.add_approval(LEAVE_TEMPLATE, apply_time=apply_time, status=rng.choice((1, 2)))
            return
        status = rng.choices((1, 2, 3, 4), weights=(2, 6, 1, 1))[0]
        self.add_approval(CONTRACT_TEMPLATE, apply_time=apply_time, status=status)

    def add_approval(self, template: str = CONTRACT_TEMPLATE, *, apply_time: int | None = None, status: int = 1,
                     creator: str | None = None, values: dict[str, Any] | None = None,
                     contents: list[dict[str, Any]] | None = None) -> str:
        """A new approval (in review unless ``status`` says otherwise); its sp_no."""
        rng = self.gen.rng
        apply_time = int(self.clock()) if apply_time is None else apply_time
        creator = creator or rng.choice(self.staff)["userid"]
        sp_no = self.gen.sp_no(apply_time)
        if contents is None:
            if template == CONTRACT_TEMPLATE:
                customer = rng.choice(list(self.external.values()))
                values = values or self.gen.contract_values(customer.get("corp_full_name") or customer["name"])
                contents = contract_contents(values, apply_time - rng.randint(0, 3) * DAY)
            else:
                contents = [{"control": "Textarea", "id": "Textarea-1560000000001",
                             "title": [{"text": "请假事由", "lang": "zh_CN"}], "value": {"text": "家中有事"}}]
        approver = rng.choice([e for e in self.staff if e["userid"] != creator])["userid"]
        names = self.templates[template]["template_names"]
        self.sp[sp_no] = {
            "sp_no": sp_no, "sp_name": names[0]["text"], "sp_status": 1, "template_id": template,
            "apply_time": apply_time, "applyer": {"userid": creator, "partyid": "2"},
            "sp_record": [{"sp_status": 1, "approverattr": 1, "details": [
                {"approver": {"userid": approver}, "speech": "", "sp_status": 1, "sptime": 0, "media_id": []}]}],
            "notifyer": [], "apply_data": {"contents": contents}, "comments": [],
        }
        if status != 1:
            self.decide(sp_no, status, at=apply_time + rng.randint(1, 72) * 3600)
        return sp_no

    def decide(self, sp_no: str, status: int = 2, *, at: int | None = None) -> dict[str, Any]:
        """The approver approves (2), rejects (3), or the applicant withdraws (4); the sys_approval_change event."""
        info = self.sp[sp_no]
        at = int(self.clock()) if at is None else at
        info["sp_status"] = status
        step = info["sp_record"][-1]
        step["sp_status"] = status
        for detail in step["details"]:
            detail.update(sp_status=status, sptime=at, speech="同意" if status == 2 else "")
        return self.approval_event(sp_no, at=at)

    # -- contacts, as employees change them ------------------------------------------------------

    def add_contact(self, userid: str | None = None) -> tuple[str, dict[str, Any]]:
        """A new external contact added by ``userid`` (default: the first employee); its id and the event."""
        created = int(self.clock())
        external_userid = self._store_contact(self._contact_counter, created)
        self._contact_counter += 1
        follows = self.follows[external_userid]
        follows[0]["userid"] = follows[0]["oper_userid"] = userid or self.staff[0]["userid"]
        del follows[1:]
        return external_userid, self.contact_event("add_external_contact", external_userid, follows[0]["userid"])

    def edit_contact(self, external_userid: str, userid: str | None = None, **changes: Any) -> dict[str, Any]:
        """``userid`` edits their remark of the contact (``remark_mobiles``, ``remark_corp_name``, ``tag_id``...)."""
        follow = self._follow(external_userid, userid)
        follow.update(changes)
        return self.contact_event("edit_external_contact", external_userid, follow["userid"])

    def remove_follow(self, external_userid: str, userid: str, *, by_customer: bool = False) -> dict[str, Any]:
        """The employee deletes the contact (del_external_contact), or the contact deletes the employee."""
        follow = self._follow(external_userid, userid)
        self.follows[external_userid].remove(follow)
        kind = "del_follow_user" if by_customer else "del_external_contact"
        return self.contact_event(kind, external_userid, userid)

    def _follow(self, external_userid: str, userid: str | None) -> dict[str, Any]:
        follows = self.follows[external_userid]
        matching = [f for f in follows if userid is None or f["userid"] == userid]
        if not matching:
            raise KeyError(f"{userid} does not follow {external_userid}")
        return matching[0]

    def contact_ids(self, userid: str | None = None) -> list[str]:
        return sorted(i for i, f in self.follows.items() if f and (userid is None or
                                                                   any(x["userid"] == userid for x in f)))

    # -- callback events ---------------------------------------------------------------------

    def contact_event(self, change: str, external_userid: str, userid: str) -> dict[str, Any]:
        event: dict[str, Any] = {"ToUserName": self.account.corp_id, "FromUserName": "sys",
                                 "CreateTime": int(self.clock()), "MsgType": "event",
                                 "Event": "change_external_contact", "ChangeType": change, "UserID": userid,
                                 "ExternalUserID": external_userid}
        if change == "add_external_contact":
            event.update(State="", WelcomeCode=hashlib.sha256(external_userid.encode()).hexdigest()[:24])
        return event

    def approval_event(self, sp_no: str, *, at: int | None = None) -> dict[str, Any]:
        info = self.sp[sp_no]
        step = info["sp_record"][-1]
        detail = step["details"][0]
        return {
            "ToUserName": self.account.corp_id, "FromUserName": "sys", "CreateTime": at or int(self.clock()),
            "MsgType": "event", "Event": "sys_approval_change", "AgentID": self.account.agent_id,
            "ApprovalInfo": {
                "SpNo": sp_no, "SpName": info["sp_name"], "SpStatus": info["sp_status"],
                "TemplateId": info["template_id"], "ApplyTime": info["apply_time"],
                "Applyer": {"UserId": info["applyer"]["userid"], "Party": info["applyer"]["partyid"]},
                "SpRecord": {"SpStatus": step["sp_status"], "ApproverAttr": step["approverattr"],
                             "Details": {"Approver": {"UserId": detail["approver"]["userid"]},
                                         "Speech": detail["speech"], "SpStatus": detail["sp_status"],
                                         "SpTime": detail["sptime"]}},
                "StatuChangeEvent": {1: 1, 2: 2, 3: 3, 4: 6}.get(info["sp_status"], 1),
            },
        }

    async def send_callback(self, hub_url: str, event: dict[str, Any] | bytes, *,
                            transport: httpx.AsyncBaseTransport | None = None, **options: Any) -> httpx.Response:
        """Encrypt ``event`` with this corp's callback Token and EncodingAESKey and POST it to ``hub_url``."""
        from connectors.wecom.simulator.callbacks import send_callback

        return await send_callback(hub_url, event, token=self.account.callback_token,
                                   encoding_aes_key=self.account.encoding_aes_key, corp_id=self.account.corp_id,
                                   agent_id=self.account.agent_id, transport=transport, **options)

    async def verify_url(self, hub_url: str, *, transport: httpx.AsyncBaseTransport | None = None,
                         echo: str | None = None, **options: Any) -> tuple[str, httpx.Response]:
        """WeCom's URL check: GET with an encrypted echostr; the plaintext sent and the hub's answer."""
        from connectors.wecom.simulator.callbacks import verify_url

        return await verify_url(hub_url, token=self.account.callback_token,
                                encoding_aes_key=self.account.encoding_aes_key, corp_id=self.account.corp_id,
                                transport=transport, echo=echo, **options)

    def describe(self) -> dict[str, Any]:
        return {"account": asdict(self.account), "employees": [e["userid"] for e in self.staff],
                "contacts": len(self.external), "approvals": len(self.sp), "messages": len(self.messages),
                "gettoken_calls": self.gettoken_calls, "calls": dict(self.calls), "knobs": asdict(self.knobs)}
