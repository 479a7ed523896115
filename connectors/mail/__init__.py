"""Mail: a mailbox read into tickets over IMAP, templated mail sent over SMTP.

::

    connector.py    the ``mail`` connector type (stream ``thread``, actions ``reply`` and ``notice``, check)
    settings.py     hub.yaml settings
    errors.py       what IMAP and SMTP answers mean (the error tables)
    imap.py         a blocking imaplib session (run in a thread), modified UTF-7 folder names
    idle.py         IMAP IDLE with asyncio streams: new mail -> a callback
    watch.py        MailWatchers: IDLE for every mail connector, enqueuing its sync
    cursor.py       the UID cursor per mailbox in the stream state (UIDVALIDITY, pending flags)
    streams.py      reading a page: fetch, parse, noise, thread, customer, attachments; flag after commit
    message.py      raw bytes -> ParsedMail (MIME, RFC 2047/2231, charsets, HTML), or MalformedMessage
    charsets.py     the charsets Chinese mail really uses (GB2312 read as GB18030, ...)
    html_text.py    HTML-only mail to readable text (html.parser)
    quotes.py       quoted replies trimmed (Chinese and English clients)
    noise.py        auto-replies, bounces, bulk mail
    threads.py      threading against the Message-IDs the store holds
    customers.py    sender -> customer (crosswalk, e-mail, company domain)
    tickets.py      the thread records the mapping turns into tickets
    attachments.py  attachment content on disk by SHA-256, with a size limit
    templates.py    Jinja2 templates, zh and en (mappings/mail/templates/)
    compose.py      the outgoing MIME message, Message-ID from the idempotency key, threading headers
    smtp.py         sending with SSL, STARTTLS or none, and AUTH
    actions.py      idempotent pushes (the Sent folder remembers), retries

See docs/connectors/mail.md.
"""

from connectors.mail.connector import MailConnector
from connectors.mail.settings import MailSettings

__all__ = ["MailConnector", "MailSettings"]
