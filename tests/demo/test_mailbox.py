"""The demo mailbox speaks enough IMAP for the stdlib client (and so for the mail connector)."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator

import pytest

from hub.demo.mailbox import Mailbox, MailServer


@pytest.fixture
def server() -> Iterator[MailServer]:
    mailbox = Mailbox("support@hub-demo.cn", "s3cret")
    mailbox.append(b"From: a@b.cn\nSubject: hi\n\nbody\n")
    running = MailServer(mailbox).start()
    yield running
    running.stop()


def test_a_client_logs_in_searches_fetches_and_flags(server: MailServer) -> None:
    client = imaplib.IMAP4("127.0.0.1", server.port, timeout=5)
    client.login("support@hub-demo.cn", "s3cret")
    assert client.select('"INBOX"')[0] == "OK"
    assert client.response("UIDVALIDITY")[1] == [b"1"]

    _, found = client.uid("SEARCH", "UID 1:20000")
    _, fetched = client.uid("FETCH", "1", "(UID BODY.PEEK[])")
    client.uid("STORE", "1", "+FLAGS.SILENT", "(\\Seen $HubTicket)")
    client.logout()

    assert found == [b"1"]
    assert isinstance(fetched[0], tuple)
    assert fetched[0][1] == b"From: a@b.cn\r\nSubject: hi\r\n\r\nbody\r\n"
    assert server.mailbox.flags_of(1) == {"\\Seen", "$HubTicket"}


def test_a_wrong_password_is_refused(server: MailServer) -> None:
    client = imaplib.IMAP4("127.0.0.1", server.port, timeout=5)

    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.login("support@hub-demo.cn", "wrong")
    client.logout()
