"""The simulated server API: one function per WeCom API, all answering HTTP 200 with errcode inside.

::

    GET  gettoken?corpid&corpsecret                       POST message/send
    GET  agent/get?agentid                                POST oa/getapprovalinfo   (31-day windows, new_cursor)
    GET  externalcontact/get_follow_user_list             POST oa/getapprovaldetail
    GET  externalcontact/list?userid                      POST oa/gettemplatedetail
    GET  externalcontact/get?external_userid&cursor       POST oa/applyevent
    POST externalcontact/batch/get_by_user  (≤100 userids, limit ≤100, next_cursor)
    POST externalcontact/get_corp_tag_list

Before any API: the caller's IP (knob ``ip_blocked`` → 60020), then the token (41001 missing,
40014 unknown, 42001 expired, the code it was expired early with, 48002 a secret without the
API), then ``busy_next`` (-1) and ``rate_limit_next`` (45009).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connectors.wecom.simulator.state import Answer, SentMessage, error, ok

if TYPE_CHECKING:
    from connectors.wecom.simulator.state import WeComSimulator

Handler = Callable[["WeComSimulator", dict[str, str], Any], Answer]
MAX_IDS = 100
MAX_SPAN = 31 * 86400


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _offset(cursor: Any) -> int | None:
    if not cursor:
        return 0
    try:
        text = str(cursor)
        return int(json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))["o"])
    except (ValueError, KeyError, TypeError):
        return None


# -- customer contacts ---------------------------------------------------------------------------

def follow_user_list(sim: WeComSimulator, query: dict[str, str], body: Any) -> Answer:
    return ok(follow_user=sorted(e["userid"] for e in sim.follow_staff))


def contact_list(sim: WeComSimulator, query: dict[str, str], body: Any) -> Answer:
    userid = query.get("userid", "")
    if userid not in {e["userid"] for e in sim.staff}:
        return error(40003, "invalid userid")
    return ok(external_userid=sim.contact_ids(userid))


def _batch_follow(follow: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in follow.items() if k != "personal_tags"}


def _get_follow(sim: WeComSimulator, follow: dict[str, Any]) -> dict[str, Any]:
    names = {t["id"]: (g["group_name"], t["name"]) for g in sim.tag_groups for t in g["tag"]}
    tags = [{"group_name": names[t][0], "tag_name": names[t][1], "tag_id": t, "type": 1} for t in follow["tag_id"]]
    personal: list[str] = follow.get("personal_tags") or []
    tags += [{"group_name": "", "tag_name": name, "type": 2} for name in personal]
    rest = {k: v for k, v in follow.items() if k not in ("tag_id", "personal_tags")}
    return {**rest, "tags": tags}


def contact_get(sim: WeComSimulator, query: dict[str, str], body: Any) -> Answer:
    external_userid = query.get("external_userid", "")
    if external_userid not in sim.external:
        return error(40096, "invalid external userid")
    follows = sim.follows.get(external_userid) or []
    if not follows:
        return error(84061, "not external contact")
    return ok(external_contact=dict(sim.external[external_userid]),
              follow_user=[_get_follow(sim, f) for f in follows], next_cursor="")


def batch_get_by_user(sim: WeComSimulator, query: dict[str, str], body: Any) -> Answer:
    users = body.get("userid_list") if isinstance(body, dict) else None
    if not isinstance(users, list) or not users:
        return error(40058, "userid_list is required")
    if len(users) > MAX_IDS:
        return error(40058, f"userid_list holds at most {MAX_IDS} userids")
    limit = int(body.get("limit") or 50)
    if not 1 <= limit <= MAX_IDS:
        return error(40058, f"limit must be 1..{MAX_IDS}")
    offset = _offset(body.get("cursor"))
    if offset is None:
        return error(40058, "invalid cursor")
    items = [(userid, contact_id, follow) for userid in users
             for contact_id in sim.contact_ids(userid)
             for follow in sim.follows[contact_id] if follow["userid"] == userid]
    page = items[offset:offset + limit]
    more = offset + limit < len(items)
    return ok(external_contact_list=[{"external_contact": dict(sim.external[c]), "follow_info": _batch_follow(f)}
                                     for _, c, f in page], next_cursor=_cursor(offset + limit) if more else "")


def corp_tag_list(sim: WeComSimulator, query: dict[str, str], body: Any) -> Answer:
    return ok(tag_group=json.loads(json.dumps(sim.tag_groups)))


# -- approvals -------------------------------------------------------------------------------------

def approval_info(sim: WeComSimulator, query: dict[str, str], body: Any) -> Answer:
    if not isinstance(body, dict):
        return error(40058, "invalid body")
    try:
        start, end, size = int(body["starttime"]), int(body["endtime"]), int(body.get("size") or 100)
    except (KeyError, ValueError, TypeError):
        return error(40058, "starttime and endtime are required")
    if end < start or end - start > MAX_SPAN:
        return error(40058, "the time span must be at most 31 days")
    if not 1 <= size <= MAX_IDS:
        return error(40058, f"size must be 1..{MAX_IDS}")
    offset = _offset(body.get("new_cursor"))
    if offset is None:
        return error(40058, "invalid new_cursor")
    filters = {str(f.get("key")): str(f.get("value")) for f in body.get("filters") or [] if isinstance(f, dict)}
    found = sorted((info["apply_time"], sp_no) for sp_no, info in sim.sp.items() if start <= info["apply_time"] <= end
                   and filters.get("template_id", info["template_id"]) == info["template_id"]
                   and filters.get("creator", info["applyer"]["userid"]) == info["applyer"]["userid"]
                   and filters.get("sp_status", str(info["sp_status"])) == str(info["sp_status"]))
    page = [sp_no for _, sp_no in found[offset:offset + size]]
    more = offset + size < len(found)
    return ok(sp_no_list=page, new_next_cursor=_cursor(offset + size) if more else "")


def approval_detail(sim: WeComSimulator, query: dict[str, str], body: Any) -> Answer:
    sp_no = str(body.get("sp_no") or "") if isinstance(body, dict) else ""
    if sp_no not in sim.sp:
        return error(40058, f"invalid sp_no {sp_no!r}")
    return ok(info=json.loads(json.dumps(sim.sp[sp_no])))


def template_detail(sim: WeComSimulator, query: dict[str, str], body: Any) -> Answer:
    template = sim.templates.get(str(body.get("template_id") or "") if isinstance(body, dict) else "")
    return ok(**json.loads(json.dumps(template))) if template else error(40058, "invalid template_id")


def apply_event(sim: WeComSimulator, query: dict[str, str], body: Any) -> Answer:
    if not isinstance(body, dict):
        return error(40058, "invalid body")
    template = sim.templates.get(str(body.get("template_id") or ""))
    if template is None:
        return error(40058, "invalid template_id")
    creator = str(body.get("creator_userid") or "")
    if creator not in {e["userid"] for e in sim.staff}:
        return error(40003, "invalid creator_userid")
    if not body.get("use_template_approver") and not body.get("approver"):
        return error(40058, "approver is required unless use_template_approver is 1")
    given = {str(c.get("id")): c for c in (body.get("apply_data") or {}).get("contents") or [] if isinstance(c, dict)}
    controls = {c["property"]["id"]: c["property"] for c in template["template_content"]["controls"]}
    for cid, item in given.items():
        if cid not in controls or item.get("control") != controls[cid]["control"]:
            return error(40058, f"invalid control {cid}")
    missing = [p["id"] for p in controls.values() if p.get("require") and p["id"] not in given]
    if missing:
        return error(40058, f"required control missing: {', '.join(missing)}")
    contents = [{**item, "title": controls[cid]["title"], "value": _stored_value(controls[cid], item["value"],
                                                                                template)}
                for cid, item in given.items()]
    sp_no = sim.add_approval(str(body["template_id"]), creator=creator, contents=contents)
    return ok(sp_no=sp_no)


def _stored_value(prop: dict[str, Any], value: Any, template: dict[str, Any]) -> Any:
    """applyevent takes selector options by key; getapprovaldetail gives them with their texts."""
    if prop["control"] != "Selector" or not isinstance(value, dict):
        return value
    config = next(c["config"] for c in template["template_content"]["controls"] if c["property"]["id"] == prop["id"])
    options = {o["key"]: o for o in config["selector"]["options"]}
    chosen = [options[o["key"]] for o in (value.get("selector") or {}).get("options") or [] if o.get("key") in options]
    return {"selector": {"type": value["selector"].get("type", "single"), "options": chosen}}


# -- the app and its messages ----------------------------------------------------------------------

def agent_get(sim: WeComSimulator, query: dict[str, str], body: Any) -> Answer:
    if query.get("agentid") != str(sim.account.agent_id):
        return error(40056, "invalid agentid")
    return ok(agentid=sim.account.agent_id, name="集成中心", description="业务系统集成通知", close=0,
              allow_userinfos={"user": [{"userid": e["userid"]} for e in sim.staff]})


def message_send(sim: WeComSimulator, query: dict[str, str], body: Any) -> Answer:
    if not isinstance(body, dict):
        return error(40058, "invalid body")
    if str(body.get("agentid")) != str(sim.account.agent_id):
        return error(40056, "invalid agentid")
    msgtype = body.get("msgtype")
    content = body.get(str(msgtype))
    if msgtype not in ("text", "markdown", "textcard") or not isinstance(content, dict):
        return error(40008, "invalid message type")
    if msgtype in ("text", "markdown") and not str(content.get("content") or "").strip():
        return error(44004, "empty content")
    if msgtype == "markdown" and len(str(content["content"]).encode()) > 2048:
        return error(45002, "content size out of limit")
    if msgtype == "textcard" and not all(content.get(k) for k in ("title", "description", "url")):
        return error(40058, "textcard needs title, description and url")
    staff = [e["userid"] for e in sim.staff]
    wanted = [u for u in str(body.get("touser") or "").split("|") if u]
    valid = staff if "@all" in wanted else [u for u in wanted if u in staff]
    invalid = [u for u in wanted if u != "@all" and u not in staff]
    if not valid and not body.get("toparty") and not body.get("totag"):
        return error(81013, "user & party & tag all invalid")
    if body.get("enable_duplicate_check"):
        window = int(body.get("duplicate_check_interval") or 1800)
        for sent in reversed(sim.messages):
            if sim.clock() - sent.at > window:
                break
            if _same_message(sent.body, body):
                return ok(invaliduser="|".join(invalid), msgid=sent.msgid)
    message = SentMessage(sim.next_msgid(), json.loads(json.dumps(body)), valid, sim.clock())
    sim.messages.append(message)
    return ok(invaliduser="|".join(invalid), invalidparty="", invalidtag="", unlicenseduser="", msgid=message.msgid)


def _same_message(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("touser", "toparty", "totag", "msgtype", "agentid")
    return all(str(a.get(k) or "") == str(b.get(k) or "") for k in keys) and a.get(a["msgtype"]) == b.get(b["msgtype"])


APIS: dict[tuple[str, str], tuple[str, Handler]] = {  # (method, path) -> (token family, handler)
    ("GET", "agent/get"): ("app", agent_get),
    ("POST", "message/send"): ("app", message_send),
    ("GET", "externalcontact/get_follow_user_list"): ("contacts", follow_user_list),
    ("GET", "externalcontact/list"): ("contacts", contact_list),
    ("GET", "externalcontact/get"): ("contacts", contact_get),
    ("POST", "externalcontact/batch/get_by_user"): ("contacts", batch_get_by_user),
    ("POST", "externalcontact/get_corp_tag_list"): ("contacts", corp_tag_list),
    ("POST", "oa/getapprovalinfo"): ("approvals", approval_info),
    ("POST", "oa/getapprovaldetail"): ("approvals", approval_detail),
    ("POST", "oa/gettemplatedetail"): ("approvals", template_detail),
    ("POST", "oa/applyevent"): ("approvals", apply_event),
}


def handle(sim: WeComSimulator, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
    sim.calls[path] += 1
    if sim.knobs.ip_blocked:
        return error(60020, "not allow to access from your ip")
    if path == "gettoken" and method == "GET":
        return sim.issue_token(query.get("corpid"), query.get("corpsecret"))
    api = APIS.get((method, path))
    if api is None:
        return error(404, f"api {method} {path} not found")
    family, handler = api
    problem = sim.token_problem(query.get("access_token"), family)
    if problem is not None:
        messages = {41001: "access_token missing", 40014: "invalid access_token", 42001: "access_token expired",
                    40001: "invalid credential", 48002: "api forbidden"}
        return error(problem, messages.get(problem, "token refused"))
    if sim.knobs.busy_next > 0:
        sim.knobs.busy_next -= 1
        return error(-1, "system busy")
    if sim.knobs.rate_limit_next > 0:
        sim.knobs.rate_limit_next -= 1
        return error(45009, "api freq out of limit")
    return handler(sim, query, body)
