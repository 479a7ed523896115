"""docs/connectors/callbacks.md cannot drift: its hub.yaml loads, its example handler works through the route."""

from __future__ import annotations

import json
import re
import sys
import time
import types
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from connectors.callback_crypto import CallbackCipher
from hub.api import create_app
from hub.sdk import CALLBACK_HANDLERS, Connector, Health
from hub.settings import Settings
from hub.workspace import load_workspace
from webhooks.inbound.messages import MESSAGES

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

DOC = (Path(__file__).resolve().parents[2] / "docs" / "connectors" / "callbacks.md").read_text(encoding="utf-8")
PYTHON = re.findall(r"```python\n(.*?)```", DOC, re.DOTALL)
TOKEN, AES_KEY, CORP = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"


def test_the_documented_connectors_load(tmp_path: Path) -> None:
    [example] = re.findall(r"```yaml\n(.*?)```", DOC, re.DOTALL)
    (tmp_path / "hub.yaml").write_text(example, encoding="utf-8")
    env = dict.fromkeys(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", example), "value")

    connectors = load_workspace(tmp_path, env=env).config.connectors

    assert {name: c.type for name, c in connectors.items()} == {"wecom-main": "wecom", "dingtalk-main": "dingtalk"}


def test_every_status_the_route_answers_is_documented() -> None:
    for status in ("**200**", "400", "401", "403", "404", "413", "500", "503"):
        assert f"| {status}" in DOC


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """The documented handler, as the module connectors.acme.callbacks would be."""
    module = types.ModuleType("acme_callbacks_doc_example")
    exec(compile(PYTHON[0], "docs/connectors/callbacks.md", "exec"), module.__dict__)  # noqa: S102 - our own doc
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module


@pytest.fixture
def client(example: types.ModuleType, db_engine: Engine, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    class AcmeConnector(Connector):
        type = "acme"
        settings_model = example.AcmeSettings

        async def check(self) -> Health:
            return Health(True, "ok")

        def read(self, stream: Any, state: Any, *, full: bool) -> Any:
            raise AssertionError("not read")

    (tmp_path / "hub.yaml").write_text(
        "connectors:\n  acme-main:\n    type: acme\n    settings:\n      base_url: http://acme.test/\n"
        f"      corp_id: {CORP}\n      callback_token: ${{ACME_TOKEN}}\n      aes_key: ${{ACME_KEY}}\n",
        encoding="utf-8")
    (tmp_path / ".env").write_text(f"ACME_TOKEN={TOKEN}\nACME_KEY={AES_KEY}\n", encoding="utf-8")
    monkeypatch.setattr("hub.sdk.registry.connector_types", lambda: {"acme": AcmeConnector})
    monkeypatch.setitem(CALLBACK_HANDLERS, "acme", f"{example.__name__}:AcmeCallbacks")
    with TestClient(create_app(Settings(workspace=tmp_path), engine=db_engine)) as test_client:
        yield test_client


def test_the_documented_handler_stores_an_event_and_answers_success(client: TestClient, db_engine: Engine) -> None:
    cipher = CallbackCipher(TOKEN, AES_KEY, CORP)
    timestamp, nonce = str(int(time.time())), "abc"
    event = json.dumps({"EventType": "customer_changed", "EventId": "e-1", "CustomerIds": ["C1"]}).encode()
    encrypt, signature = cipher.seal(event, timestamp, nonce)

    query = {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}
    response = client.post("/callbacks/acme/acme-main", params=query, content=json.dumps({"encrypt": encrypt}))
    rejected = client.post("/callbacks/acme/acme-main", params={"timestamp": timestamp}, content=b"{}")

    assert response.status_code == 200
    answer = response.json()
    assert cipher.open(answer["msg_signature"], answer["timeStamp"], answer["nonce"], answer["encrypt"]) == b"success"
    assert rejected.status_code == 400
    with db_engine.connect() as conn:
        stored = [dict(r) for r in conn.execute(select(MESSAGES).order_by(MESSAGES.c.id)).mappings()]
    assert [(r["channel"], r["source"], r["status"], r["dedupe_key"]) for r in stored] == [
        ("acme", "acme-main", "pending", "e-1"), ("acme", "acme-main", "rejected", None)]
    assert bytes(stored[0]["body"]) == event


def test_the_documented_processor_and_fetch_import_what_they_use() -> None:
    processor, fetch = PYTHON[2], PYTHON[3]
    namespace: dict[str, Any] = {}
    exec(compile(processor, "docs/connectors/callbacks.md", "exec"), namespace)  # noqa: S102 - our own doc
    exec(compile(fetch, "docs/connectors/callbacks.md", "exec"), namespace)  # noqa: S102

    assert callable(namespace["process_callbacks"])
    assert issubclass(namespace["AcmeConnector"], Connector)
