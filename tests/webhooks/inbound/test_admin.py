"""Finding and replaying inbound messages: ``/api/v1/inbound`` and ``hub inbound``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from hub.cli.main import app as cli
from tests.api.builders import bearer
from tests.webhooks.inbound.conftest import Process
from tests.webhooks.inbound.helpers import FIXED_SHOP_ORDER_MAPPING, erp_headers, ids, order


def _send(client: TestClient, body: bytes) -> str:
    return ids(client.post("/webhooks/in/erp", content=body, headers=erp_headers()))


@pytest.fixture
def quarantined(client: TestClient, process: Process) -> str:
    message_id = _send(client, order("SO-9", state="sent"))  # the mapping has no "sent"
    [outcome] = process()
    assert outcome.status == "quarantined"
    return message_id


class TestApi:
    def test_list_by_status_newest_first_without_bodies(
        self, client: TestClient, db_engine: Engine, quarantined: str
    ) -> None:
        pending = _send(client, order("SO-1"))
        headers = bearer(db_engine, "viewer")

        everything = client.get("/api/v1/inbound", headers=headers).json()
        only = client.get("/api/v1/inbound?status=quarantined", headers=headers).json()

        assert [m["id"] for m in everything["items"]] == [pending, quarantined]
        assert "body" not in everything["items"][0]
        assert [m["id"] for m in only["items"]] == [quarantined]
        assert only["items"][0]["error"]["field"] == "status"

    def test_one_message_has_its_raw_body(self, client: TestClient, db_engine: Engine, quarantined: str) -> None:
        message = client.get(f"/api/v1/inbound/{quarantined}", headers=bearer(db_engine, "viewer")).json()

        assert json.loads(message["body"]) == {"order_id": "SO-9", "state": "sent", "amount": "12.50"}
        assert "x-api-key" not in message["headers"]

    def test_the_list_needs_an_api_key(self, client: TestClient) -> None:
        assert client.get("/api/v1/inbound").status_code == 401

    def test_replay_after_the_fix(
        self, client: TestClient, db_engine: Engine, workspace: Path, quarantined: str
    ) -> None:
        (workspace / "mappings" / "shop-order.yaml").write_text(FIXED_SHOP_ORDER_MAPPING, encoding="utf-8")

        response = client.post(f"/api/v1/inbound/{quarantined}/replay", headers=bearer(db_engine, "operator"))

        assert response.status_code == 200
        assert response.json()["status"] == "processed"
        assert response.json()["result"]["records"][0]["external_id"] == "SO-9"

    def test_replay_that_fails_again_says_why(self, client: TestClient, db_engine: Engine, quarantined: str) -> None:
        response = client.post(f"/api/v1/inbound/{quarantined}/replay", headers=bearer(db_engine, "operator"))

        assert response.json()["status"] == "quarantined"
        assert response.json()["error"]["field"] == "status"

    def test_replay_needs_an_operator(self, client: TestClient, db_engine: Engine, quarantined: str) -> None:
        response = client.post(f"/api/v1/inbound/{quarantined}/replay", headers=bearer(db_engine, "viewer"))

        assert response.status_code == 403

    def test_a_rejected_callback_is_never_replayed(self, client: TestClient, db_engine: Engine) -> None:
        from webhooks.inbound.messages import get_message, store_rejected

        with db_engine.begin() as conn:  # its body failed verification: whoever sent it is unknown
            rejected = store_rejected(conn, "webhook", "shop", order("SO-66"), {}, reason="signature",
                                      message="msg_signature does not match")

        response = client.post(f"/api/v1/inbound/{rejected}/replay", headers=bearer(db_engine, "operator"))

        assert response.status_code == 409
        assert "rejected" in response.json()["error"]["message"]
        with db_engine.connect() as conn:
            assert get_message(conn, rejected)["status"] == "rejected"

    def test_replay_of_an_unknown_message_is_404(self, client: TestClient, db_engine: Engine) -> None:
        response = client.post("/api/v1/inbound/in_nope/replay", headers=bearer(db_engine, "operator"))

        assert response.status_code == 404
        assert response.json()["error"]["message"] == "no inbound message in_nope"


class TestCli:
    @pytest.fixture
    def hub(self, db_engine: Engine, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
        for name in list(os.environ):
            if name.startswith("HUB_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("HUB_WORKSPACE", str(workspace))
        monkeypatch.setenv("HUB_DATABASE_URL", str(db_engine.url))
        monkeypatch.chdir(workspace)
        return CliRunner()

    def run(self, runner: CliRunner, *args: str) -> Result:
        return runner.invoke(cli, list(args))

    @pytest.mark.parametrize("command", [("inbound",), ("inbound", "list"), ("inbound", "replay"),
                                         ("inbound", "purge")])
    def test_help(self, hub: CliRunner, command: tuple[str, ...]) -> None:
        result = self.run(hub, *command, "--help")

        assert result.exit_code == 0
        assert len(result.stdout.split("\n\n")[1].strip()) > 20

    def test_list_shows_why_a_message_is_quarantined(self, hub: CliRunner, quarantined: str) -> None:
        result = self.run(hub, "inbound", "list", "--status", "quarantined")

        assert result.exit_code == 0, result.output
        assert quarantined in result.stdout
        assert "status" in result.stdout.splitlines()[1]

    def test_list_as_json(self, hub: CliRunner, quarantined: str) -> None:
        result = self.run(hub, "inbound", "list", "--json")

        assert [m["id"] for m in json.loads(result.stdout)] == [quarantined]

    def test_replay_after_the_fix_exits_0(self, hub: CliRunner, workspace: Path, quarantined: str) -> None:
        (workspace / "mappings" / "shop-order.yaml").write_text(FIXED_SHOP_ORDER_MAPPING, encoding="utf-8")

        result = self.run(hub, "inbound", "replay", quarantined)

        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"processed {quarantined}: order ord_")
        assert result.stdout.endswith("1 processed, 0 quarantined\n")

    def test_replay_of_every_quarantined_message_that_fails_again_exits_1(
        self, hub: CliRunner, quarantined: str
    ) -> None:
        result = self.run(hub, "inbound", "replay", "--quarantined")

        assert result.exit_code == 1
        assert f"failed    {quarantined}: " in result.stdout

    def test_replay_needs_ids_or_quarantined(self, hub: CliRunner) -> None:
        assert self.run(hub, "inbound", "replay").exit_code == 2


    def test_purge_says_what_it_removed(self, hub: CliRunner, quarantined: str) -> None:
        result = self.run(hub, "inbound", "purge", "--older-than", "30d")

        assert result.exit_code == 0, result.output
        assert result.stdout == ("cleared 0 processed message bodies and deleted 0 rejected requests older than "
                                 "30d\n")  # the quarantined message waits for a decision, whatever its age
