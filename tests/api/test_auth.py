"""Every /api/v1 route needs a valid, unrevoked key; writes need a high enough role."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hub.security.api_keys import revoke_api_key
from tests.api.builders import bearer


def test_no_key_is_401_with_a_bearer_challenge(client: TestClient) -> None:
    response = client.get("/api/v1/customers")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_key_with_a_known_prefix_but_wrong_secret_is_401(client: TestClient, viewer: dict[str, str]) -> None:
    prefix = viewer["Authorization"].removeprefix("Bearer ").split("_")[1]

    response = client.get("/api/v1/customers", headers={"Authorization": f"Bearer hub_{prefix}_{'x' * 43}"})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_revoked_key_is_401(client: TestClient, db_engine: Engine, viewer: dict[str, str]) -> None:
    assert client.get("/api/v1/customers", headers=viewer).status_code == 200
    prefix = viewer["Authorization"].removeprefix("Bearer ").split("_")[1]
    with db_engine.begin() as conn:
        revoke_api_key(conn, prefix)

    response = client.get("/api/v1/customers", headers=viewer)

    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_a_viewer_cannot_resolve_an_identity_match(client: TestClient, viewer: dict[str, str]) -> None:
    response = client.post("/api/v1/identity-matches/idm_X/resolve", headers=viewer, json={"decision": "reject"})

    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "forbidden",
        "message": "this needs the operator role; the key 'viewer-key' is viewer",
        "details": {"needed": "operator", "role": "viewer"},
    }


def test_an_operator_and_an_admin_get_past_the_role_check(client: TestClient, db_engine: Engine) -> None:
    for role in ("operator", "admin"):
        response = client.post(
            "/api/v1/identity-matches/idm_X/resolve", headers=bearer(db_engine, role), json={"decision": "reject"}
        )
        # Past authorisation, the unknown match is what fails.
        assert response.status_code == 404, role
