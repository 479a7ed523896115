"""``/callbacks/{type}/{connector}``: what a vendor's callback gets answered, and what is stored before the answer.

A fake connector type ``fakecb`` with a handler that uses the real CallbackCipher (WeCom's
sample token, key and corp id) stands in for WeCom and DingTalk, so the crypto is exercised
through HTTP without depending on either connector.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError

from connectors.callback_crypto import CallbackCipher, CallbackRejected, check_timestamp
from hub.api import create_app
from hub.jobs.queue import JOBS
from hub.sdk import CALLBACK_HANDLERS, CallbackReply, CallbackRequest, Connector, ConnectorSettings, Health
from hub.settings import Settings
from tests.api.builders import bearer
from webhooks.inbound.messages import MESSAGES, REJECTED_BODY_LIMIT

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CORP = "wx5823bf96d3bd56c7"
CIPHER = CallbackCipher(TOKEN, AES_KEY, CORP)

HUB_YAML = """\
connectors:
  cb-main:
    type: fakecb
    settings:
      base_url: http://fake.test/
      corp_id: wx5823bf96d3bd56c7
      callback_token: ${CB_TOKEN}
      aes_key: ${CB_AES_KEY}
  cb-broken:
    type: fakecb
    settings: {base_url: http://fake.test/, corp_id: x, callback_token: "${CB_TOKEN}", aes_key: "${CB_SHORT_KEY}"}
  erp:
    type: other
    settings: {base_url: http://erp.test/}
"""


class FakeCbSettings(ConnectorSettings):
    corp_id: str
    callback_token: SecretStr
    aes_key: SecretStr


class _Unread(Connector):
    async def check(self) -> Health:
        return Health(True, "ok")

    def read(self, stream: Any, state: Any, *, full: bool) -> Any:
        raise AssertionError("not read in these tests")


class FakeCbConnector(_Unread):
    type = "fakecb"
    settings_model = FakeCbSettings


class OtherConnector(_Unread):
    type = "other"
    settings_model = ConnectorSettings


class FakeCallbacks:
    """Like a vendor's handler: signed query, ``{"encrypt"}`` JSON body, an encrypted "success" reply."""

    channel: ClassVar[str] = "fakecb"

    def receive(self, settings: ConnectorSettings, request: CallbackRequest) -> CallbackReply:
        assert isinstance(settings, FakeCbSettings)
        cipher = CallbackCipher(settings.callback_token.get_secret_value(), settings.aes_key.get_secret_value(),
                                settings.corp_id)
        try:
            signature, timestamp, nonce = (request.query[k] for k in ("msg_signature", "timestamp", "nonce"))
        except KeyError as missing:
            raise CallbackRejected("format", f"the query parameter {missing} is missing") from None
        if request.method == "GET":
            return CallbackReply(body=cipher.open(signature, timestamp, nonce, request.query.get("echostr", "")))
        check_timestamp(timestamp, request.now, tolerance_s=300, millis=False)
        try:
            encrypt = json.loads(request.body)["encrypt"]
        except (ValueError, KeyError, TypeError):
            raise CallbackRejected("format", 'the body is not {"encrypt": ...}') from None
        event = cipher.open(signature, timestamp, nonce, encrypt)
        parsed = json.loads(event)
        if parsed.get("crash"):
            raise KeyError("a bug in the handler")
        sealed, reply_signature = cipher.seal(b"success", timestamp, nonce)
        reply = {"msg_signature": reply_signature, "timeStamp": timestamp, "nonce": nonce, "encrypt": sealed}
        return CallbackReply(body=json.dumps(reply).encode(), media_type="application/json", message=event,
                             dedupe_key=parsed.get("id"), event_type=parsed.get("type"))


@pytest.fixture
def client(db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "hub.yaml").write_text(HUB_YAML, encoding="utf-8")
    (root / ".env").write_text(f"CB_TOKEN={TOKEN}\nCB_AES_KEY={AES_KEY}\nCB_SHORT_KEY=tooshort\n", encoding="utf-8")
    monkeypatch.setattr("hub.sdk.registry.connector_types", lambda: {"fakecb": FakeCbConnector,
                                                                     "other": OtherConnector})
    monkeypatch.setitem(CALLBACK_HANDLERS, "fakecb", f"{__name__}:FakeCallbacks")
    with TestClient(create_app(Settings(workspace=root), engine=db_engine)) as test_client:
        yield test_client


def sealed(event: dict[str, Any], *, cipher: CallbackCipher = CIPHER, timestamp: str | None = None,
           nonce: str = "n-1") -> tuple[dict[str, str], bytes]:
    """Query and body of a callback carrying ``event``, as the vendor sends it."""
    timestamp = timestamp if timestamp is not None else str(int(time.time()))
    encrypt, signature = cipher.seal(json.dumps(event).encode(), timestamp, nonce)
    return {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}, json.dumps({"encrypt": encrypt}
                                                                                             ).encode()


def rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(MESSAGES).order_by(MESSAGES.c.id)).mappings()]


def jobs(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(JOBS)).mappings()]


def engine_of(client: TestClient) -> Engine:
    engine = client.app.state.hub.engine  # type: ignore[attr-defined]
    assert isinstance(engine, Engine)
    return engine


# -- accepted ----------------------------------------------------------------------------------------------------


def test_url_verification_answers_the_plaintext_alone_and_stores_nothing(client: TestClient) -> None:
    params = {"msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589",
              "nonce": "263014780",
              "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="}

    response = client.get("/callbacks/fakecb/cb-main", params=params)

    assert response.status_code == 200
    assert response.content == b"1616140317555161061"
    assert response.headers["content-type"].startswith("text/plain")
    assert rows(engine_of(client)) == []


def test_an_event_is_stored_decrypted_before_the_encrypted_success_reply(client: TestClient) -> None:
    event = {"id": "ev-1", "type": "change_contact", "who": "客户张三"}
    params, body = sealed(event)

    response = client.post("/callbacks/fakecb/cb-main", params=params, content=body)

    assert response.status_code == 200
    reply = response.json()
    assert CIPHER.open(reply["msg_signature"], reply["timeStamp"], reply["nonce"], reply["encrypt"]) == b"success"
    [row] = rows(engine_of(client))
    assert (row["channel"], row["source"], row["dedupe_key"], row["status"]) == ("fakecb", "cb-main", "ev-1",
                                                                                 "pending")
    assert json.loads(bytes(row["body"])) == event
    assert row["headers"]["query.timestamp"] == params["timestamp"]
    assert row["headers"]["query.msg_signature"] == params["msg_signature"]
    assert row["headers"]["x-hub-callback-event"] == "change_contact"
    assert [(j["kind"], j["payload"]) for j in jobs(engine_of(client))] == [("inbound", {"ids": [row["id"]]})]


def test_the_vendors_retry_of_an_event_is_answered_again_but_stored_once(client: TestClient) -> None:
    params, body = sealed({"id": "ev-1", "type": "change_contact"})

    first = client.post("/callbacks/fakecb/cb-main", params=params, content=body)
    again = client.post("/callbacks/fakecb/cb-main", params=params, content=body)

    assert first.status_code == again.status_code == 200
    assert len(rows(engine_of(client))) == 1


def test_a_long_dedupe_key_is_stored_as_its_hash_and_still_deduplicates(client: TestClient) -> None:
    params, body = sealed({"id": "k" * 300})

    client.post("/callbacks/fakecb/cb-main", params=params, content=body)
    client.post("/callbacks/fakecb/cb-main", params=params, content=body)

    [row] = rows(engine_of(client))
    assert row["dedupe_key"].startswith("sha256:")
    assert len(row["dedupe_key"]) == 71


def test_an_event_that_cannot_be_stored_is_not_acknowledged(client: TestClient,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(_message: Any) -> Any:
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(client.app.state.inbound.writer, "submit", broken)  # type: ignore[attr-defined]
    params, body = sealed({"id": "ev-1"})

    response = client.post("/callbacks/fakecb/cb-main", params=params, content=body)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_not_ready"


# -- not found ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/callbacks/nosuch/cb-main", "no callbacks for connector type 'nosuch'"),
        ("/callbacks/fakecb/nosuch", "no fakecb connector named 'nosuch' in hub.yaml"),
        ("/callbacks/fakecb/erp", "(it is of type other)"),
    ],
    ids=["unknown-type", "unknown-connector", "connector-of-another-type"],
)
def test_no_such_connector_of_that_type_is_404_and_nothing_is_stored(
    client: TestClient, path: str, message: str
) -> None:
    params, body = sealed({"id": "ev-1"})

    response = client.post(path, params=params, content=body)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert message in response.json()["error"]["message"]
    assert rows(engine_of(client)) == []


# -- rejected ----------------------------------------------------------------------------------------------------


def _rejected(client: TestClient) -> dict[str, Any]:
    [row] = rows(engine_of(client))
    assert row["status"] == "rejected"
    assert jobs(engine_of(client)) == []  # never processed
    return row


def test_a_bad_signature_is_401_and_kept_as_rejected_with_the_raw_request(client: TestClient) -> None:
    params, body = sealed({"id": "ev-1"})
    params["msg_signature"] = "0" * 40

    response = client.post("/callbacks/fakecb/cb-main", params=params, content=body)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "callback_rejected"
    assert response.json()["error"]["details"] == {"reason": "signature"}
    row = _rejected(client)
    assert (row["channel"], row["source"], row["dedupe_key"]) == ("fakecb", "cb-main", None)
    assert bytes(row["body"]) == body
    assert row["headers"]["query.msg_signature"] == "0" * 40
    assert row["error"]["kind"] == "rejected"
    assert row["error"]["reason"] == "signature"
    assert "msg_signature does not match" in row["error"]["message"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"\x00\xffgarbage", "format"), (b'{"encrypt": "not base64!"}', "signature"), (b"", "format")],
    ids=["garbage", "encrypt-not-signed", "empty"],
)
def test_a_garbage_body_is_400_or_401_and_kept_as_rejected(client: TestClient, body: bytes, reason: str) -> None:
    params, _ = sealed({"id": "ev-1"})

    response = client.post("/callbacks/fakecb/cb-main", params=params, content=body)

    assert response.status_code == (401 if reason == "signature" else 400)
    assert _rejected(client)["error"]["reason"] == reason
    assert bytes(_rejected(client)["body"]) == body


def test_a_missing_query_parameter_is_400_and_kept_as_rejected(client: TestClient) -> None:
    params, body = sealed({"id": "ev-1"})
    del params["nonce"]

    response = client.post("/callbacks/fakecb/cb-main", params=params, content=body)

    assert response.status_code == 400
    assert "'nonce'" in response.json()["error"]["message"]
    assert _rejected(client)["error"]["reason"] == "format"


def test_a_replayed_old_callback_is_401(client: TestClient) -> None:
    params, body = sealed({"id": "ev-1"}, timestamp=str(int(time.time()) - 3600))

    response = client.post("/callbacks/fakecb/cb-main", params=params, content=body)

    assert response.status_code == 401
    assert _rejected(client)["error"]["reason"] == "timestamp"


def test_a_callback_encrypted_for_another_corp_is_403(client: TestClient) -> None:
    params, body = sealed({"id": "ev-1"}, cipher=CallbackCipher(TOKEN, AES_KEY, "ww-another-corp"))

    response = client.post("/callbacks/fakecb/cb-main", params=params, content=body)

    assert response.status_code == 403
    assert _rejected(client)["error"]["reason"] == "receive_id"


def test_a_rejected_body_is_kept_only_up_to_64_kib(client: TestClient) -> None:
    params, _ = sealed({"id": "ev-1"})
    body = b"x" * (REJECTED_BODY_LIMIT + 1000)

    response = client.post("/callbacks/fakecb/cb-main", params=params, content=body)

    assert response.status_code == 400
    assert bytes(_rejected(client)["body"]) == b"x" * REJECTED_BODY_LIMIT


def test_a_body_over_the_limit_is_413_and_kept_as_rejected_without_it(client: TestClient) -> None:
    params, _ = sealed({"id": "ev-1"})

    response = client.post("/callbacks/fakecb/cb-main", params=params, content=b"x" * (1024 * 1024 + 1))

    assert response.status_code == 413
    row = _rejected(client)
    assert bytes(row["body"]) == b""
    assert row["error"]["reason"] == "payload_too_large"


def test_rejected_callbacks_are_listed_by_status(client: TestClient) -> None:
    params, body = sealed({"id": "ev-1"})
    client.post("/callbacks/fakecb/cb-main", params=params, content=body)
    client.post("/callbacks/fakecb/cb-main", params={**params, "msg_signature": "0" * 40}, content=body)

    listed = client.get("/api/v1/inbound", params={"status": "rejected"},
                        headers=bearer(engine_of(client), "viewer"))

    assert listed.status_code == 200
    assert [(m["status"], m["error"]["reason"]) for m in listed.json()["items"]] == [("rejected", "signature")]


# -- our faults --------------------------------------------------------------------------------------------------


def test_a_bug_in_the_handler_is_500_with_the_raw_request_kept(client: TestClient) -> None:
    params, body = sealed({"id": "ev-1", "crash": True})

    response = client.post("/callbacks/fakecb/cb-main", params=params, content=body)

    assert response.status_code == 500  # the vendor retries; the request is kept for the admin
    row = _rejected(client)
    assert row["error"]["reason"] == "handler_error"
    assert row["error"]["message"] == "the fakecb callback handler failed: KeyError"
    assert bytes(row["body"]) == body


def test_a_connector_with_a_bad_aes_key_setting_is_a_config_error_and_nothing_is_stored(client: TestClient) -> None:
    params, body = sealed({"id": "ev-1"})

    response = client.post("/callbacks/fakecb/cb-broken", params=params, content=body)

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "config_error"
    assert "43 characters" in response.json()["error"]["message"]
    assert rows(engine_of(client)) == []


def test_both_methods_are_in_the_openapi_document(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()

    assert set(spec["paths"]["/callbacks/{kind}/{connector}"]) == {"get", "post"}
