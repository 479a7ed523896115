"""Sender → customer: the crosswalk, then identity resolution by e-mail, then the company's mail domain.

Tried in order, for a page of senders at once (read-only queries, never per message):

1. ``crosswalk``: a customer that this mail system already knows under the address;
2. ``email``: a live customer whose e-mail addresses (the store's identity keys) hold it;
3. ``domain``: a live customer with an address at the same domain, unless the domain is
   free mail (qq.com, 163.com, gmail.com, ... and ``free_mail_domains``): there, a shared
   domain says nothing about the company.

Exactly one customer matches or the rule gives up: two customers with the address (or
the domain) are a question for a person, so the ticket keeps no customer and records
why (``customer_match: {rule, candidates}``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, or_, select

from hub.db.engine import read_only
from hub.store.tables import CustomerRecord, IdentityKey, RecordRef

REFS = RecordRef.__table__  # type: ignore[attr-defined]
KEYS = IdentityKey.__table__  # type: ignore[attr-defined]
CUSTOMERS = CustomerRecord.__table__  # type: ignore[attr-defined]
_CHUNK = 500


@dataclass(frozen=True)
class CustomerMatch:
    customer_id: str | None
    rule: str | None = None  # crosswalk | email | domain
    candidates: int = 0

    def as_json(self) -> dict[str, Any] | None:
        if self.rule is None:
            return None
        return {"rule": self.rule, "customer_id": self.customer_id, "candidates": self.candidates}


NO_CUSTOMER = CustomerMatch(None)


class CustomerResolver:
    def __init__(self, engine: Engine | None, system: str, free_domains: Iterable[str]) -> None:
        self.engine = engine
        self.system = system
        self.free_domains = frozenset(d.lower() for d in free_domains)
        self.known: dict[str, CustomerMatch] = {}

    def prefetch(self, emails: Iterable[str]) -> None:
        wanted = sorted({e.lower() for e in emails} - self.known.keys())
        if self.engine is None or not wanted:
            return
        with read_only(self.engine) as conn:
            by_ref = _crosswalk(conn, self.system, wanted)
            by_email = _by_email(conn, [e for e in wanted if e not in by_ref])
            domains = sorted({e.rpartition("@")[2] for e in wanted if e not in by_ref and e not in by_email}
                             - self.free_domains)
            by_domain = _by_domain(conn, domains)
        for email in wanted:
            domain = email.rpartition("@")[2]
            if email in by_ref:
                self.known[email] = CustomerMatch(by_ref[email], "crosswalk", 1)
            elif email in by_email:
                self.known[email] = _decide("email", by_email[email])
            elif domain in by_domain:
                self.known[email] = _decide("domain", by_domain[domain])
            else:
                self.known[email] = NO_CUSTOMER

    def resolve(self, email: str) -> CustomerMatch:
        return self.known.get(email.lower(), NO_CUSTOMER)


def _decide(rule: str, candidates: set[str]) -> CustomerMatch:
    if len(candidates) == 1:
        return CustomerMatch(next(iter(candidates)), rule, 1)
    return CustomerMatch(None, rule, len(candidates))


def _live_keys() -> Any:
    """Identity keys of customers that are neither deleted nor merged into another."""
    return select(KEYS.c.value, KEYS.c.record_id).join(CUSTOMERS, CUSTOMERS.c.id == KEYS.c.record_id).where(
        KEYS.c.kind == "email", KEYS.c.entity == "customer", CUSTOMERS.c.deleted_at.is_(None),
        CUSTOMERS.c.merged_into.is_(None))


def _crosswalk(conn: Connection, system: str, emails: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(emails), _CHUNK):
        query = select(REFS.c.external_id, REFS.c.record_id).where(
            REFS.c.external_id.in_(emails[start : start + _CHUNK]), REFS.c.system == system,
            REFS.c.entity == "customer", REFS.c.deleted_at.is_(None))
        found.update({str(e): str(r) for e, r in conn.execute(query)})
    return found


def _by_email(conn: Connection, emails: list[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for start in range(0, len(emails), _CHUNK):
        query = _live_keys().where(KEYS.c.value.in_(emails[start : start + _CHUNK]))
        for value, record_id in conn.execute(query):
            found.setdefault(str(value), set()).add(str(record_id))
    return found


def _by_domain(conn: Connection, domains: list[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for start in range(0, len(domains), 50):
        chunk = domains[start : start + 50]
        patterns = [KEYS.c.value.like("%@" + _escape(d), escape="\\") for d in chunk]
        query = _live_keys().where(or_(*patterns))
        for value, record_id in conn.execute(query):
            found.setdefault(str(value).rpartition("@")[2], set()).add(str(record_id))
    return found


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
