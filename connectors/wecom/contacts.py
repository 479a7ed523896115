"""Customers from customer contacts (客户联系): the external contacts of the follow users.

A full pull asks which employees have customer contact (``get_follow_user_list``, or the
``follow_users`` setting), then reads their contacts with ``batch/get_by_user``: up to
100 userids per call, paged with ``next_cursor`` until it is empty. One contact followed
by several employees comes once per follower, so the pull gathers every follower before
it yields a contact (about 1 KB per contact in memory); the hub gets one record per
contact, the same record ``externalcontact/get`` gives for one id (callbacks fetch that)::

    {"external_userid": "wm...",
     "external_contact": {...WeCom's fields: name, corp_name, corp_full_name, type, ...},
     "follow_info": {...the first follower (earliest createtime): userid, remark, remark_corp_name,
                     remark_mobiles, tag_id, tags [{group_name, tag_name, tag_id, type}], ...},
     "follow_users": [...every follower, in that order],
     "tag_names": [...the corp tags of all followers], "remark_mobiles": [...all followers' numbers],
     "contact_person": {"contact_name", "contact_position", "followers": [userids]}}   (for attributes)

Tags are the corp's tags (企业标签, resolved with ``get_corp_tag_list``); personal tags
(个人标签) are not in the bulk API, so they are left out on both paths to keep them equal.
There is no "changed since" query: every pull lists everything (unchanged contacts cost
the store nothing), and callbacks bring changes in between.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from connectors.wecom.client import WeComClient
from connectors.wecom.settings import WeComSettings
from hub.sdk import Page, StreamState, VendorRecordError

Record = dict[str, Any]
CORP_TAG = 1  # tag type 1: 企业标签; 2: 个人标签


async def follow_users(client: WeComClient, settings: WeComSettings) -> list[str]:
    """The employees whose contacts the hub reads, sorted."""
    if settings.follow_users is not None:
        return sorted(set(settings.follow_users))
    body = await client.get("externalcontact/get_follow_user_list", scope="contacts")
    return sorted({str(u) for u in body.get("follow_user") or []})


async def corp_tags(client: WeComClient) -> dict[str, dict[str, Any]]:
    """``tag_id -> {group_name, tag_name, tag_id, type}`` for every corp tag."""
    body = await client.post("externalcontact/get_corp_tag_list", {}, scope="contacts")
    tags: dict[str, dict[str, Any]] = {}
    for group in body.get("tag_group") or []:
        for tag in group.get("tag") or []:
            if not tag.get("deleted"):
                tags[str(tag["id"])] = {"group_name": group.get("group_name", ""), "tag_name": tag.get("name", ""),
                                        "tag_id": str(tag["id"]), "type": CORP_TAG}
    return tags


async def read_customers(client: WeComClient, settings: WeComSettings) -> AsyncIterator[Page]:
    """Every contact of the follow users, ``page_size`` records a page, in external_userid order."""
    users = await follow_users(client, settings)
    tags = await corp_tags(client) if users else {}
    contacts: dict[str, Record] = {}
    followers: dict[str, list[Record]] = {}
    for start in range(0, len(users), settings.users_per_call):
        chunk = users[start:start + settings.users_per_call]
        cursor = ""
        while True:
            body = await client.post(
                "externalcontact/batch/get_by_user",
                {"userid_list": chunk, "cursor": cursor, "limit": settings.contacts_per_call}, scope="contacts",
            )
            for item in body.get("external_contact_list") or []:
                contact, follow = item.get("external_contact") or {}, item.get("follow_info") or {}
                contact_id = contact.get("external_userid")
                if contact_id:
                    contacts[contact_id] = contact
                    followers.setdefault(contact_id, []).append(_with_tags(follow, tags))
            cursor = str(body.get("next_cursor") or "")
            if not cursor:
                break
    ids = sorted(contacts)
    if not ids:
        yield Page([], StreamState())
        return
    for start in range(0, len(ids), settings.page_size):
        page = ids[start:start + settings.page_size]
        yield Page([customer_record(contacts[i], followers[i]) for i in page], StreamState())


async def fetch_customers(client: WeComClient, settings: WeComSettings, ids: Sequence[str]) -> list[Record]:
    """The current record of each contact (``externalcontact/get``); contacts gone or unknown are left out."""
    allowed = set(await follow_users(client, settings))
    found: list[Record] = []
    for contact_id in dict.fromkeys(ids):
        try:
            contact, follows = await _get_contact(client, contact_id)
        except VendorRecordError:  # 84061 no relation any more, 40096 not an external userid
            continue
        follows = [f for f in follows if f.get("userid") in allowed]
        if contact and follows:
            found.append(customer_record(contact, follows))
    return found


async def _get_contact(client: WeComClient, contact_id: str) -> tuple[Record, list[Record]]:
    contact: Record = {}
    follows: list[Record] = []
    cursor = ""
    while True:  # next_cursor only when a contact has over 500 followers
        body = await client.get("externalcontact/get", scope="contacts",
                                params={"external_userid": contact_id, "cursor": cursor})
        contact = body.get("external_contact") or contact
        follows += [_with_tags(f, None) for f in body.get("follow_user") or []]
        cursor = str(body.get("next_cursor") or "")
        if not cursor:
            return contact, follows


def _with_tags(follow: Record, corp: dict[str, dict[str, Any]] | None) -> Record:
    """A follower with both ``tag_id`` (the bulk API's form) and ``tags`` (externalcontact/get's), corp tags only."""
    if corp is None:  # from externalcontact/get: tags carry their names
        tags = [dict(t) for t in follow.get("tags") or [] if t.get("type", CORP_TAG) == CORP_TAG and t.get("tag_id")]
    else:  # from batch/get_by_user: tag ids, named through the corp tag list
        tags = [dict(corp[str(t)]) for t in follow.get("tag_id") or [] if str(t) in corp]
    tags.sort(key=lambda t: str(t["tag_id"]))
    rest = {k: v for k, v in follow.items() if k not in ("tags", "tag_id")}
    return {**rest, "tag_id": [str(t["tag_id"]) for t in tags], "tags": tags}


def customer_record(contact: Record, follows: Iterable[Record]) -> Record:
    """The hub's record of one contact: the contact, its first follower, all followers, and their tags and phones."""
    ordered = sorted(follows, key=lambda f: (int(f.get("createtime") or 0), str(f.get("userid") or "")))
    return {
        "external_userid": contact.get("external_userid"),
        "external_contact": contact,
        "follow_info": ordered[0] if ordered else {},
        "follow_users": ordered,
        "tag_names": _union(t.get("tag_name") for f in ordered for t in f["tags"]),
        "remark_mobiles": _union(m for f in ordered for m in f.get("remark_mobiles") or []),
        "contact_person": {"contact_name": contact.get("name"), "contact_position": contact.get("position") or None,
                           "followers": [f.get("userid") for f in ordered]},
    }


def _union(values: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(str(v).strip() for v in values if v is not None and str(v).strip()))
