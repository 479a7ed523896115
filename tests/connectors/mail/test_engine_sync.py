"""Dovecot -> the sync engine -> the store: tickets, threads, comments, customers, noise, duplicates, quarantine.

These run the real ``run_sync`` (connector pages, the shipped mail-ticket mapping, the
store's upsert with events) against a real IMAP server; threading is also checked on
PostgreSQL, whose JSON query differs from SQLite's.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from hub.events.outbox import list_events
from hub.store import SourceRecord, Store, find_by_ref
from hub.store.tables import TicketRecord
from hub.sync import engine as sync_engine
from hub.sync.quarantine import list_entries
from hub.workspace.loader import Workspace
from tests.connectors.mail.conftest import Sync, fixture, make_sync
from tests.connectors.mail.servers import Dovecot, MailUser

ROOT = "<thread-root-001@huadong-jixie.cn>"


def ticket(engine: Engine, key: str) -> dict[str, Any]:
    with engine.connect() as conn:
        found = find_by_ref(conn, "ticket", "mail", key, "thread")
    assert found is not None, f"no ticket for {key}"
    return found


def ticket_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(TicketRecord.__table__)).scalar_one())  # type: ignore[attr-defined]


def test_customer_mail_becomes_tickets_with_decoded_fields(
    dovecot: Dovecot, mail_user: MailUser, sync: Sync, db_engine: Engine
) -> None:
    dovecot.append(mail_user, [fixture(n) for n in ("utf8_qp.eml", "gb2312_declared_gbk.eml", "big5.eml",
                                                     "html_only.eml", "thread_1.eml")])

    outcome = sync(page_size=2)

    assert (outcome.status, outcome.counts.created, outcome.counts.quarantined) == ("succeeded", 5, 0)
    quote = ticket(db_engine, "<utf8-qp-001@huadong-jixie.cn>")
    assert (quote["subject"], quote["channel"], quote["status"], quote["priority"]) == (
        "A-100 数控机床报价咨询", "mail", "open", "normal")
    assert quote["description"].startswith("您好：\n\n我们想采购 A-100 型数控机床 5 台")
    assert quote["thread"] == ["<utf8-qp-001@huadong-jixie.cn>"]
    assert ticket(db_engine, "<big5-005@tw-precision.com.tw>")["subject"] == "產品保固詢問"
    assert "- E101 主轴过热" in ticket(db_engine, "<html-only-006@dongfang-heavy.cn>")["description"]
    assert ticket(db_engine, ROOT)["priority"] == "high"


@pytest.mark.slow
def test_a_thread_of_three_replies_is_one_ticket_with_three_comments_on_both_backends(
    dovecot: Dovecot, mail_user: MailUser, engine: Engine, workspace_for: Callable[..., Workspace]
) -> None:
    sync = make_sync(engine, workspace_for)
    versions = []
    for name in ("thread_1.eml", "thread_2.eml", "thread_3.eml", "thread_4.eml"):  # one sync per arriving reply
        dovecot.append(mail_user, [fixture(name)])
        sync()
        versions.append(ticket(engine, ROOT)["version"])

    found = ticket(engine, ROOT)
    comments = found["attributes"]["comments"]
    assert ticket_count(engine) == 1
    assert versions == [1, 2, 3, 4]
    assert found["thread"] == [ROOT, "<thread-reply-002@huadong-jixie.cn>", "<thread-reply-003@huadong-jixie.cn>",
                               "<thread-reply-004@huadong-jixie.cn>"]
    assert [(c["from"]["email"], c["body"]) for c in comments] == [
        ("zhang.wei@huadong-jixie.cn", "补充一下：报警前机床连续运行了 12 小时，冷却液液位正常。"),
        ("li.na@huadong-jixie.cn", "我是设备科的李娜，现场照片稍后发给你们。工程师今天能到吗？\n\n李娜"),
        ("zhang.wei@huadong-jixie.cn", "Thanks, the engineer can come at 2 pm today."),
    ]
    assert found["description"].startswith("你好，\n\n我们的 A-100 机床今天早上开机报 E101 错误")
    with engine.connect() as conn:
        kinds = [e["type"] for e in list_events(conn, types=["ticket.*"], record_id=found["id"])]
    assert kinds == ["ticket.created", "ticket.updated", "ticket.updated", "ticket.updated"]


def test_replies_arriving_together_thread_within_one_page(
    dovecot: Dovecot, mail_user: MailUser, sync: Sync, db_engine: Engine
) -> None:
    dovecot.append(mail_user, [fixture(f"thread_{n}.eml") for n in (1, 2, 3, 4)])

    outcome = sync()

    assert (outcome.counts.created, ticket_count(db_engine)) == (1, 1)
    assert len(ticket(db_engine, ROOT)["attributes"]["comments"]) == 3


def _token_mail(subject: str, message_id: str) -> bytes:
    encoded = base64.b64encode(subject.encode()).decode()
    return (f"From: li.na@huadong-jixie.cn\r\nTo: support@hub-test.cn\r\nSubject: =?utf-8?B?{encoded}?=\r\n"
            f"Message-ID: {message_id}\r\nDate: Tue, 10 Mar 2026 09:00:00 +0800\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n照片见附件。\r\n").encode()


def test_a_subject_token_ties_a_mail_without_threading_headers_to_its_ticket(
    dovecot: Dovecot, mail_user: MailUser, sync: Sync, db_engine: Engine
) -> None:
    dovecot.append(mail_user, [fixture("thread_1.eml")])
    sync()
    ticket_id = ticket(db_engine, ROOT)["id"]
    Store(db_engine).upsert("ticket", [SourceRecord("helpdesk", "case", "T-1024", {"assignee": "王工"},
                                                    attach_to=ticket_id)])

    dovecot.append(mail_user, [_token_mail(f"现场照片 [#{ticket_id}]", "<token-1@huadong-jixie.cn>"),
                               _token_mail("补充 [#T-1024]", "<token-2@huadong-jixie.cn>"),
                               _token_mail("新问题 [#T-9999]", "<token-3@huadong-jixie.cn>")])
    sync()

    comments = ticket(db_engine, ROOT)["attributes"]["comments"]
    assert [(c["message_id"], c["via"]) for c in comments] == [
        ("<token-1@huadong-jixie.cn>", "token"), ("<token-2@huadong-jixie.cn>", "token")]
    assert ticket(db_engine, "<token-3@huadong-jixie.cn>")["subject"] == "新问题 [#T-9999]"  # unknown: a new ticket


def test_auto_replies_bounces_and_bulk_mail_make_no_ticket(
    dovecot: Dovecot, mail_user: MailUser, sync: Sync, db_engine: Engine
) -> None:
    dovecot.append(mail_user, [fixture("thread_1.eml"), fixture("auto_reply.eml"), fixture("bounce.eml"),
                               fixture("bulk.eml")])

    outcome = sync()

    assert (outcome.status, outcome.counts.created, ticket_count(db_engine)) == ("succeeded", 1, 1)
    assert ticket(db_engine, ROOT)["attributes"]["comments"] == []  # the out-of-office reply is not a comment


def test_duplicates_by_message_id_are_ignored_in_a_run_across_runs_and_across_mailboxes(
    dovecot: Dovecot, mail_user: MailUser, sync: Sync, db_engine: Engine
) -> None:
    client = dovecot.client(mail_user)
    client.create("Sales")
    client.logout()
    dovecot.append(mail_user, [fixture("thread_1.eml"), fixture("thread_2.eml"), fixture("thread_1.eml")])
    sync()
    dovecot.append(mail_user, [fixture("thread_2.eml"), fixture("utf8_qp.eml")])  # delivered again
    dovecot.append(mail_user, [fixture("thread_1.eml"), fixture("thread_2.eml")], mailbox="Sales")  # cc'd to sales@

    again = sync()
    sales = sync(mailbox="Sales")

    assert (again.counts.created, again.counts.updated, sales.counts.read) == (1, 0, 0)
    assert ticket_count(db_engine) == 2
    assert ticket(db_engine, ROOT)["thread"] == [ROOT, "<thread-reply-002@huadong-jixie.cn>"]
    assert all("$HubTicket" in f for f in dovecot.flags(mail_user, "Sales").values())  # handled, so flagged


def test_malformed_mail_is_quarantined_with_its_raw_bytes_while_the_rest_lands(
    dovecot: Dovecot, mail_user: MailUser, sync: Sync, db_engine: Engine
) -> None:
    dovecot.append(mail_user, [fixture("utf8_qp.eml"), fixture("malformed_multipart.eml"), fixture("big5.eml"),
                               fixture("malformed_no_sender.eml"), fixture("gbk_8bit.eml")])

    outcome = sync(page_size=2)

    assert (outcome.status, outcome.counts.created, outcome.counts.quarantined) == ("succeeded", 3, 2)
    with db_engine.connect() as conn:
        entries, _ = list_entries(conn, connector="support")
    by_id = {e["external_id"]: e for e in entries}
    broken = by_id["<malformed-012@huadong-jixie.cn>"]
    assert base64.b64decode(broken["raw"]["raw_base64"]) == fixture("malformed_multipart.eml")
    assert "broken MIME structure" in broken["error"]["value"]
    assert "no sender address" in by_id["<malformed-013@unknown>"]["error"]["value"]
    assert "\\Seen" not in dovecot.flags(mail_user)["<malformed-012@huadong-jixie.cn>"]  # left for a person


def test_senders_resolve_to_customers_by_email_then_domain_but_never_by_free_mail_domain(
    dovecot: Dovecot, mail_user: MailUser, sync: Sync, db_engine: Engine
) -> None:
    store = Store(db_engine)
    [huadong] = store.upsert("customer", [SourceRecord("kingdee", "BD_Customer", "C001", {
        "name": "华东机械有限公司", "emails": ["zhang.wei@huadong-jixie.cn", "purchase@huadong-jixie.cn"]})])
    store.upsert("customer", [SourceRecord("kingdee", "BD_Customer", "C002", {"name": "某QQ客户",
                                                                              "emails": ["someone@qq.com"]})])
    store.upsert("customer", [SourceRecord("kingdee", "BD_Customer", f"C00{n}", {
        "name": f"信达{n}", "emails": [f"buyer{n}@xinda-trade.com"]}) for n in (3, 4)])
    dovecot.append(mail_user, [fixture("thread_1.eml"), fixture("thread_3.eml"), fixture("gb2312_declared_gbk.eml"),
                               fixture("gbk_8bit.eml"), fixture("html_only.eml")])

    sync()

    assert ticket(db_engine, ROOT)["customer_id"] == huadong.record_id
    assert ticket(db_engine, ROOT)["attributes"]["customer_match"]["rule"] == "email"
    colleague = ticket(db_engine, ROOT)["attributes"]["comments"][0]["from"]["email"]
    assert colleague == "li.na@huadong-jixie.cn"  # joined the thread; the ticket keeps its customer
    qq = ticket(db_engine, "<gb2312-lies-002@qq.com>")
    assert (qq["customer_id"], qq["attributes"]["customer_match"]) == (None, None)  # qq.com says nothing
    two = ticket(db_engine, "<gbk-8bit-003@xinda-trade.com>")
    assert (two["customer_id"], two["attributes"]["customer_match"]) == (
        None, {"rule": "domain", "customer_id": None, "candidates": 2})
    assert ticket(db_engine, "<html-only-006@dongfang-heavy.cn>")["customer_id"] is None


def test_a_colleague_at_the_customers_domain_gets_the_customer(
    dovecot: Dovecot, mail_user: MailUser, sync: Sync, db_engine: Engine
) -> None:
    [huadong] = Store(db_engine).upsert("customer", [SourceRecord("kingdee", "BD_Customer", "C001", {
        "name": "华东机械有限公司", "emails": ["purchase@huadong-jixie.cn"]})])
    dovecot.append(mail_user, [fixture("utf8_qp.eml")])

    sync()

    found = ticket(db_engine, "<utf8-qp-001@huadong-jixie.cn>")
    assert (found["customer_id"], found["attributes"]["customer_match"]["rule"]) == (huadong.record_id, "domain")


def test_a_failed_commit_leaves_that_pages_mail_unflagged_and_the_next_run_takes_it(
    dovecot: Dovecot, mail_user: MailUser, sync: Sync, db_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    dovecot.append(mail_user, [fixture(n) for n in ("utf8_qp.eml", "big5.eml", "gbk_8bit.eml", "html_only.eml")])
    real_land, calls = sync_engine.land, []

    def land_failing_second_page(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_land(*args, **kwargs)

    monkeypatch.setattr(sync_engine, "land", land_failing_second_page)
    with pytest.raises(RuntimeError, match="database went away"):
        sync(page_size=2)
    flags = dovecot.flags(mail_user)
    assert ["$HubTicket" in f for f in flags.values()] == [True, True, False, False]

    monkeypatch.setattr(sync_engine, "land", real_land)
    again = sync(page_size=2)

    assert (again.counts.created, ticket_count(db_engine)) == (2, 4)
    assert all("$HubTicket" in f for f in dovecot.flags(mail_user).values())


def test_a_full_sync_reads_the_mailbox_again_and_changes_nothing(
    dovecot: Dovecot, mail_user: MailUser, sync: Sync, db_engine: Engine
) -> None:
    dovecot.append(mail_user, [fixture(f"thread_{n}.eml") for n in (1, 2, 3)] + [fixture("big5.eml")])
    sync()

    full = sync(full=True)

    assert (full.status, full.counts.created, full.counts.updated, full.counts.deleted) == ("succeeded", 0, 0, 0)
    assert ticket_count(db_engine) == 2
