"""IMAP IDLE: new mail is announced at once (Dovecot), renewals are quiet, lost connections come back, and the
hub-side watchers turn an announcement into a queued sync."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine

from connectors.mail import MailSettings
from connectors.mail.idle import IdleWatcher
from connectors.mail.watch import MailWatchers
from hub.jobs.queue import claim_job, complete
from hub.sync.jobs import active_sync
from hub.workspace.loader import Workspace
from tests.connectors.mail.conftest import fixture
from tests.connectors.mail.servers import Dovecot, MailUser


class Signals:
    def __init__(self) -> None:
        self.count = 0
        self.changed = asyncio.Event()

    async def __call__(self) -> None:
        self.count += 1
        self.changed.set()

    async def wait_for(self, count: int, timeout: float = 5.0) -> None:
        async def reached() -> None:
            while self.count < count:
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(reached(), timeout)


async def _watch(watcher: IdleWatcher, body: Callable[[], Any]) -> None:
    task = asyncio.create_task(watcher.run())
    try:
        await body()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_new_mail_is_announced_while_idling(
    dovecot: Dovecot, mail_user: MailUser, mail_settings: Callable[..., MailSettings]
) -> None:
    signals = Signals()
    watcher = IdleWatcher(mail_settings(), signals, debounce=0.05)

    async def scenario() -> None:
        await signals.wait_for(1)  # once on connecting: mail may have come meanwhile
        await asyncio.wait_for(watcher.idling.wait(), 5)
        await asyncio.to_thread(dovecot.append, mail_user, [fixture("utf8_qp.eml"), fixture("big5.eml")])
        await signals.wait_for(2)

    asyncio.run(_watch(watcher, scenario))
    assert signals.count == 2  # two messages close together: one announcement


def test_renewing_idle_announces_nothing(
    dovecot: Dovecot, mail_user: MailUser, mail_settings: Callable[..., MailSettings]
) -> None:
    signals = Signals()
    watcher = IdleWatcher(mail_settings(), signals, renew=0.1)

    async def scenario() -> None:
        await signals.wait_for(1)
        await asyncio.sleep(0.5)  # several renewals

    asyncio.run(_watch(watcher, scenario))
    assert signals.count == 1


class FakeImap:
    """A scripted IMAP server: no IDLE at all, or one that drops the first connection."""

    def __init__(self, *, idle: bool, drop_first: bool = False) -> None:
        self.idle, self.drop_first = idle, drop_first
        self.connections = 0
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.write(b"* OK fake ready\r\n")
        if self.drop_first and self.connections == 1:
            writer.close()
            return
        capabilities = b"IMAP4rev1 IDLE" if self.idle else b"IMAP4rev1"
        while line := await reader.readline():
            tag, command = [*line.strip().split(b" ", 2), b""][:2]
            if command.upper() == b"CAPABILITY":
                writer.write(b"* CAPABILITY " + capabilities + b"\r\n" + tag + b" OK done\r\n")
            elif command.upper() == b"IDLE":
                writer.write(b"+ idling\r\n")
                await writer.drain()
                await reader.readline()  # DONE
                writer.write(tag + b" OK idle done\r\n")
            else:
                writer.write(tag + b" OK done\r\n")
            await writer.drain()
        writer.close()

    async def serve(self, body: Callable[[], Any]) -> None:
        server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            await body()


def _fake_settings(port: int) -> MailSettings:
    return MailSettings(imap_host="127.0.0.1", imap_port=port, imap_ssl=False, username="u", password="p w\"x",
                        timeout=5)


def test_a_server_without_idle_ends_the_watcher_and_leaves_polling() -> None:
    fake = FakeImap(idle=False)
    signals = Signals()

    async def scenario() -> None:
        await asyncio.wait_for(IdleWatcher(_fake_settings(fake.port), signals).run(), 5)

    asyncio.run(fake.serve(scenario))
    assert signals.count == 0


def test_a_dropped_connection_is_made_again_and_announces_once_more() -> None:
    fake = FakeImap(idle=True, drop_first=True)
    signals = Signals()

    async def scenario() -> None:
        watcher = IdleWatcher(_fake_settings(fake.port), signals, first_backoff=0.01)
        await _watch(watcher, lambda: signals.wait_for(1))

    asyncio.run(fake.serve(scenario))
    assert (fake.connections, signals.count) == (2, 1)


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


@pytest.mark.slow
def test_the_hub_watchers_queue_a_sync_when_mail_arrives_even_while_one_is_running(
    dovecot: Dovecot, mail_user: MailUser, db_engine: Engine, workspace_for: Callable[..., Workspace]
) -> None:
    workspace = workspace_for()
    queued: list[str] = []
    watchers = MailWatchers(db_engine, lambda: workspace, on_enqueued=lambda job: queued.append(job.job_id),
                            retry_every=0.05)

    async def scenario() -> None:
        await watchers.start()
        try:
            await _until(lambda: len(queued) == 1)  # on connecting
            await asyncio.wait_for(watchers.watchers["support"].idling.wait(), 5)
            with db_engine.begin() as conn:  # a worker starts that sync: it may already be past its SEARCH
                assert claim_job(conn, queued[0], "worker-a") is not None
            await asyncio.to_thread(dovecot.append, mail_user, [fixture("utf8_qp.eml")])
            await asyncio.sleep(0.3)
            assert len(queued) == 1  # nothing queued while that sync runs...
            with db_engine.begin() as conn:
                assert complete(conn, queued[0], "worker-a")
            await _until(lambda: len(queued) == 2)  # ...and a new one as soon as it is done
        finally:
            await watchers.stop()

    asyncio.run(scenario())
    with db_engine.connect() as conn:
        job = active_sync(conn, "support", "ticket")
    assert job is not None
    assert (job["id"], job["status"]) == (queued[1], "queued")
