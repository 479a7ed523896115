"""Identity matches held for review, resolved through the API by an operator."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hub.store.records import list_identity_matches
from tests.api.builders import kingdee_customer, upsert, wecom_contact


@dataclass
class HeldContact:
    match_id: str
    held_id: str
    candidates: list[str]


@pytest.fixture
def held(db_engine: Engine) -> HeldContact:
    """A WeCom contact whose two phones belong to two different Kingdee customers: a person must choose."""
    upsert(
        db_engine, "customer",
        kingdee_customer("C001", phones=["13800000001"]),
        kingdee_customer("C002", phones=["13900000002"]),
    )
    both_phones = ["13800000001", "13900000002"]
    [contact] = upsert(db_engine, "customer", wecom_contact("wo1", name="李经理", phones=both_phones))
    assert contact.review is not None
    assert contact.record_id is not None
    with db_engine.connect() as conn:
        [match] = list_identity_matches(conn)
    return HeldContact(contact.review, contact.record_id, match["candidate_ids"])


def test_pending_matches_are_listed_with_their_candidates(
    client: TestClient, viewer: dict[str, str], held: HeldContact
) -> None:
    body = client.get("/api/v1/identity-matches", headers=viewer).json()

    [match] = body["items"]
    assert match["id"] == held.match_id
    assert match["record_id"] == held.held_id
    assert len(match["candidate_ids"]) == 2
    assert match["status"] == "pending"


def test_merging_into_a_chosen_candidate_marks_the_held_record_merged(
    client: TestClient, operator: dict[str, str], held: HeldContact
) -> None:
    survivor = held.candidates[1]

    response = client.post(
        f"/api/v1/identity-matches/{held.match_id}/resolve",
        headers=operator,
        json={"decision": "merge", "into": survivor},
    )

    assert response.status_code == 200
    assert response.json()["status"] == "merged"
    assert response.json()["resolved_by"] == "ops-alice"
    held_record = client.get(f"/api/v1/customers/{held.held_id}", headers=operator).json()
    assert held_record["merged_into"] == survivor
    survivor_record = client.get(f"/api/v1/customers/{survivor}", headers=operator).json()
    assert ("wecom", "wo1") in {(r["system"], r["external_id"]) for r in survivor_record["refs"]}
    [merge] = client.get(f"/api/v1/customers/{survivor}/merges", headers=operator).json()["items"]
    assert (merge["merged_id"], merge["actor"]) == (held.held_id, "ops-alice")


def test_merging_without_choosing_among_several_candidates_is_409(
    client: TestClient, operator: dict[str, str], held: HeldContact
) -> None:
    response = client.post(
        f"/api/v1/identity-matches/{held.match_id}/resolve", headers=operator, json={"decision": "merge"}
    )

    assert response.status_code == 409
    assert sorted(response.json()["error"]["details"]["candidates"]) == sorted(held.candidates)


def test_a_resolved_match_cannot_be_resolved_again(
    client: TestClient, operator: dict[str, str], held: HeldContact
) -> None:
    url = f"/api/v1/identity-matches/{held.match_id}/resolve"
    assert client.post(url, headers=operator, json={"decision": "reject"}).status_code == 200

    response = client.post(url, headers=operator, json={"decision": "merge", "into": held.candidates[0]})

    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"status": "rejected"}


def test_rejected_matches_leave_the_pending_list(
    client: TestClient, operator: dict[str, str], held: HeldContact
) -> None:
    client.post(f"/api/v1/identity-matches/{held.match_id}/resolve", headers=operator, json={"decision": "reject"})

    pending = client.get("/api/v1/identity-matches", headers=operator).json()["items"]
    rejected = client.get("/api/v1/identity-matches", headers=operator, params={"status": "rejected"}).json()["items"]

    assert pending == []
    assert [m["id"] for m in rejected] == [held.match_id]
    assert client.get(f"/api/v1/customers/{held.held_id}", headers=operator).json().get("merged_into") is None
