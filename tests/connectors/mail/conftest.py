"""Fixtures: one Dovecot for the session (a fresh mail user per test), aiosmtpd servers, and sync helpers."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from connectors.mail import MailConnector, MailSettings
from hub.sdk import ConnectorContext, Page, StreamState, registry
from hub.sync.engine import SyncOutcome, SyncRequest, run_sync
from hub.workspace.loader import Workspace, load_workspace
from tests.connectors.mail.servers import (
    DOVECOT_MISSING,
    Certificates,
    Dovecot,
    MailUser,
    dovecot_binary,
    make_certificates,
    temporary_root,
)

FIXTURES = Path(__file__).parent / "fixtures"
SUPPORT = "support@hub-test.cn"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="session")
def dovecot(certificates: Certificates) -> Iterator[Dovecot]:
    if dovecot_binary() is None:
        pytest.fail(DOVECOT_MISSING, pytrace=False)  # a missing server is a failure, never a silent skip
    root = temporary_root()
    server = Dovecot(root, certificates)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mail_user(dovecot: Dovecot) -> MailUser:
    return dovecot.add_user()


@pytest.fixture
def mail_settings(dovecot: Dovecot, mail_user: MailUser, tmp_path: Path) -> Callable[..., MailSettings]:
    """``mail_settings(**overrides)``: settings reading the test user's INBOX over plain IMAP."""

    def make(**overrides: Any) -> MailSettings:
        values: dict[str, Any] = {
            "imap_host": "127.0.0.1", "imap_port": dovecot.port, "imap_ssl": False, "username": mail_user.name,
            "password": mail_user.password, "attachments_dir": str(tmp_path / "attachments"), "timeout": 10,
            "from_address": f"客服中心 <{SUPPORT}>",
        }
        values.update(overrides)
        return MailSettings.model_validate(values)

    return make


@pytest.fixture
def connect(mail_settings: Callable[..., MailSettings]) -> Iterator[Callable[..., MailConnector]]:
    made: list[MailConnector] = []

    def make(*, engine: Engine | None = None, **overrides: Any) -> MailConnector:
        connector = MailConnector(mail_settings(**overrides), ConnectorContext("support", "mail", engine=engine),
                                  sleep=_no_wait)
        made.append(connector)
        return connector

    yield make
    for connector in made:
        asyncio.run(connector.aclose())


async def _no_wait(_seconds: float) -> None:
    return None


def read_all(connector: MailConnector, state: StreamState | None = None, *, full: bool = False) -> list[Page]:
    async def collect() -> list[Page]:
        return [page async for page in connector.read("thread", state or StreamState(), full=full)]

    return asyncio.run(collect())


def records(pages: list[Page]) -> list[dict[str, Any]]:
    return [record for page in pages for record in page.records]


HUB_YAML = """
connectors:
  support:
    type: mail
    settings:
      imap_host: 127.0.0.1
      imap_port: {port}
      imap_ssl: false
      username: {user}
      password: ${{MAIL_PASSWORD}}
      mailbox: {mailbox}
      after: "{after}"
      page_size: {page_size}
      attachments_dir: {attachments}
      attachment_max_bytes: 32768
      from_address: "客服中心 <support@hub-test.cn>"
    entities:
      ticket: {{mapping: mail-ticket}}
"""

Sync = Callable[..., SyncOutcome]


@pytest.fixture
def workspace_for(tmp_path: Path, dovecot: Dovecot, mail_user: MailUser,
                  monkeypatch: pytest.MonkeyPatch) -> Callable[..., Workspace]:
    monkeypatch.setattr(registry, "connector_types", lambda: {"mail": MailConnector})

    def make(*, mailbox: str = "INBOX", after: str = "flag", page_size: int = 100, user: MailUser | None = None,
             name: str = "ws") -> Workspace:
        user = user or mail_user
        root = tmp_path / name
        root.mkdir(exist_ok=True)
        (root / "hub.yaml").write_text(HUB_YAML.format(
            port=dovecot.port, user=user.name, mailbox=mailbox, after=after, page_size=page_size,
            attachments=tmp_path / "attachments"), encoding="utf-8")
        return load_workspace(root, env={"MAIL_PASSWORD": user.password})

    return make


def make_sync(engine: Engine, workspace_for: Callable[..., Workspace]) -> Sync:
    """``sync(**workspace options)``: one run of the real sync engine into ``engine``."""
    workspaces: dict[tuple[Any, ...], Workspace] = {}

    def run(*, full: bool = False, **options: Any) -> SyncOutcome:
        key = tuple(sorted(options.items()))
        if key not in workspaces:
            workspaces[key] = workspace_for(name=f"ws{len(workspaces)}", **options)
        return asyncio.run(run_sync(engine, workspaces[key], SyncRequest("support", "ticket", full=full)))

    return run


@pytest.fixture
def sync(db_engine: Engine, workspace_for: Callable[..., Workspace]) -> Sync:
    return make_sync(db_engine, workspace_for)
