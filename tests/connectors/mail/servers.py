"""Real mail servers for the tests: an unprivileged Dovecot (IMAP) and aiosmtpd (SMTP), plus a test CA.

Dovecot runs from a temporary folder on free ports with a passwd-file and Maildirs:
``dovecot -F -c <conf>``, no system paths touched. As root (CI) its login processes run
as the package's ``dovenull``/``dovecot`` users and the mailboxes belong to ``nobody``
(Dovecot refuses to give mail to root); as another user everything runs as that user.
When Dovecot is not installed the tests fail with how to install it: they never skip.
"""

from __future__ import annotations

import datetime as dt
import grp
import imaplib
import ipaddress
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DOVECOT_MISSING = (
    "Dovecot is not installed, and the mail connector's tests need a real IMAP server. scripts/test installs "
    "it when it runs as root (apt-get install -y dovecot-imapd); on this machine run: "
    "sudo apt-get install -y dovecot-imapd"
)


USERS = 120  # mail users made when Dovecot starts; each test takes a fresh one


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
                                            if os.access(p, os.X_OK)), None)


# -- a test CA and a server certificate for 127.0.0.1 / localhost ----------------------------------------


@dataclass(frozen=True)
class Certificates:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_certificates(folder: Path) -> Certificates:
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hub test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    paths.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths.key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    for path in (paths.ca_file, paths.cert_file, paths.key_file):
        path.chmod(0o644)
    return paths


# -- Dovecot ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailUser:
    name: str
    password: str
    home: Path


@dataclass
class Dovecot:
    root: Path
    certificates: Certificates
    port: int = field(default_factory=free_port)
    ssl_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    users: int = 0
    accounts: list[MailUser] = field(default_factory=list)

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    def _mail_owner(self) -> tuple[int, int]:
        if not self.as_root:
            return os.getuid(), os.getgid()
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid

    def _service_users(self) -> tuple[str, str]:
        if not self.as_root:
            me = pwd.getpwuid(os.getuid()).pw_name
            return me, me
        names = {p.pw_name for p in pwd.getpwall()}
        login = "dovenull" if "dovenull" in names else "nobody"
        internal = "dovecot" if "dovecot" in names else "nobody"
        return login, internal

    def start(self) -> None:
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError(DOVECOT_MISSING)
        self.root.chmod(0o755)  # mail processes run as another user and must reach the homes
        (self.root / "home").mkdir(mode=0o755)
        self._write_users()
        login_user, internal_user = self._service_users()
        chroot = "" if self.as_root else "\n  chroot ="
        # Not root: every service and socket belongs to this user and its group (the package's are unusable).
        group = "" if self.as_root else f"default_internal_group = {grp.getgrgid(os.getgid()).gr_name}\n"
        config = f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
instance_name = hubtest-{self.port}
protocols = imap
listen = 127.0.0.1
default_login_user = {login_user}
default_internal_user = {internal_user}
{group}first_valid_uid = 1
ssl = yes
ssl_cert = <{self.certificates.cert_file}
ssl_key = <{self.certificates.key_file}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.ssl_port}
  }}{chroot}
}}
service anvil {{{chroot}
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""
        conf = self.root / "dovecot.conf"
        conf.write_text(config, encoding="utf-8")
        self.process = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=subprocess.PIPE,  # noqa: S603
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read().decode(errors="replace") if self.process.stdout else ""
                raise RuntimeError(f"dovecot exited ({self.process.returncode}): {output}\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not answer on port {self.port} within 15 s\n{self.log()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()  # our own master process only: it stops its children
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout:
            process.stdout.close()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(encoding="utf-8", errors="replace")[-4000:] if path.exists() else ""

    def _write_users(self) -> None:
        """Every user the session may need, written before Dovecot starts (it caches the passwd-file)."""
        uid, gid = self._mail_owner()
        lines = []
        for number in range(1, USERS + 1):
            user = MailUser(f"user{number}", f"pw-{secrets.token_hex(6)}", self.root / "home" / f"user{number}")
            user.home.mkdir(mode=0o700)
            os.chown(user.home, uid, gid)
            self.accounts.append(user)
            lines.append(f"{user.name}:{{PLAIN}}{user.password}:{uid}:{gid}::{user.home}\n")
        (self.root / "passwd").write_text("".join(lines), encoding="utf-8")

    def add_user(self) -> MailUser:
        """A mail user no other test has used (a fresh, empty mailbox)."""
        if self.users >= len(self.accounts):
            raise RuntimeError(f"the test Dovecot has only {USERS} users: raise USERS in servers.py")
        self.users += 1
        return self.accounts[self.users - 1]

    def client(self, user: MailUser) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(user.name, user.password)
        return conn

    def append(self, user: MailUser, messages: list[bytes], mailbox: str = "INBOX") -> None:
        """Deliver messages as a mail server would (IMAP APPEND), in order."""
        conn = self.client(user)
        try:
            for raw in messages:
                typ, data = conn.append(mailbox, None, None, raw)
                assert typ == "OK", data
        finally:
            conn.logout()

    def deliver_maildir(self, user: MailUser, messages: list[bytes]) -> None:
        """Write messages straight into the user's Maildir (fast, for benchmarks): Dovecot indexes them on SELECT."""
        new = user.home / "Maildir" / "new"
        for sub in ("new", "cur", "tmp"):
            (user.home / "Maildir" / sub).mkdir(parents=True, exist_ok=True)
        stamp = int(time.time())
        for i, raw in enumerate(messages):
            (new / f"{stamp}.M{i}P{os.getpid()}.hubtest").write_bytes(raw)
        uid, gid = self._mail_owner()
        for path in [user.home / "Maildir", *(user.home / "Maildir").rglob("*")]:
            os.chown(path, uid, gid)

    def flags(self, user: MailUser, mailbox: str = "INBOX") -> dict[str, str]:
        """``Message-ID -> FLAGS`` of every message in a folder."""
        conn = self.client(user)
        try:
            typ, _ = conn.select(mailbox, readonly=True)
            if typ != "OK":
                return {}
            typ, data = conn.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            found: dict[str, str] = {}
            for item in data:
                if isinstance(item, tuple):
                    header = item[1].decode().split(":", 1)[-1].strip()
                    found[header] = item[0].decode()
            return found
        finally:
            conn.logout()


def temporary_root() -> Path:
    """A folder other users can traverse (pytest's tmp_path is 0700 under /tmp/pytest-of-root)."""
    return Path(tempfile.mkdtemp(prefix="hub-dovecot-"))


# -- SMTP ---------------------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


class RecordingHandler:
    """Keeps every accepted message; ``replies`` answers DATA with scripted errors first (e.g. 451)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.replies: list[str] = []
        self.refuse: dict[str, str] = {}  # recipient -> RCPT reply
        self.sessions: list[dict[str, Any]] = []

    async def handle_RCPT(self, server: SMTPServer, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        transport = server.transport
        tls = transport is not None and transport.get_extra_info("ssl_object") is not None
        self.sessions.append({"tls": tls, "authenticated": session.authenticated,
                              "login": getattr(session, "auth_data", None)})
        if self.replies:
            return self.replies.pop(0)
        content = envelope.original_content if envelope.original_content is not None else envelope.content
        assert isinstance(content, bytes)
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), content))
        return "250 OK queued"


class Authenticator:
    def __init__(self, login: str, password: str) -> None:
        self.login, self.password = login.encode(), password.encode()
        self.attempts: list[bytes] = []

    def __call__(self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str,
                 auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            self.attempts.append(auth_data.login)
            if auth_data.login == self.login and auth_data.password == self.password:
                return AuthResult(success=True, auth_data=auth_data.login)
        return AuthResult(success=False, handled=False)


@dataclass
class SmtpServer:
    handler: RecordingHandler
    controller: Controller
    port: int

    def stop(self) -> None:
        self.controller.stop()


def start_smtp(*, security: str = "none", certificates: Certificates | None = None,
               auth: Authenticator | None = None) -> SmtpServer:
    handler = RecordingHandler()
    port = free_port()
    kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": port}
    if security == "starttls":
        assert certificates is not None
        kwargs.update(tls_context=certificates.server_context(), require_starttls=True)
    elif security == "ssl":
        assert certificates is not None
        kwargs.update(ssl_context=certificates.server_context())
    if auth is not None:  # aiosmtpd sees TLS only after STARTTLS: on implicit TLS it must not demand it again
        implicit = security == "ssl"
        kwargs.update(authenticator=auth, auth_required=not implicit, auth_require_tls=not implicit)
    controller = Controller(handler, **kwargs)
    controller.start()
    return SmtpServer(handler, controller, port)
