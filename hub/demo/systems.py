"""The outside systems of the demo, each a real server on 127.0.0.1.

Kingdee, WeCom and DingTalk are the connectors' own simulators served by uvicorn in
background threads (on their usual ports 9101, 9103 and 9104 when free), the mailbox is
:mod:`hub.demo.mailbox`, and the "project system" is a small HTTP receiver that checks the
hub's webhook signature the way a real receiver would.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn

from connectors.dingtalk.simulator import DingTalkSimulator
from connectors.erp.kingdee.simulator import KingdeeSimulator, create_app
from connectors.wecom.simulator import WeComSimulator
from connectors.wecom.simulator.app import create_app as wecom_app
from hub.demo.mailbox import Mailbox, MailServer
from hub.errors import HubError
from webhooks.signatures import new_secret, verify

KINGDEE_PORT, WECOM_PORT, DINGTALK_PORT = 9101, 9103, 9104
SEED = 3  # the seed the flows' end-to-end tests use: its data has orders with in-house and bought lines
MAIL_USER = "support@hub-demo.cn"


def listening_socket(preferred: int | None = None) -> socket.socket:
    """A socket bound on 127.0.0.1: the preferred port when it is free, else any free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", preferred or 0))
    except OSError:
        sock.bind(("127.0.0.1", 0))
    return sock


class ThreadedServer:
    """One ASGI app served by uvicorn in a daemon thread, until :meth:`stop`."""

    def __init__(self, name: str, app: Any, preferred: int | None = None) -> None:
        self.name = name
        self.sock = listening_socket(preferred)
        self.port = int(self.sock.getsockname()[1])
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, name=name,
                                       daemon=True)

    def start(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise HubError(f"the {self.name} simulator did not start on port {self.port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()


@dataclass
class Delivery:
    headers: dict[str, str]
    body: dict[str, Any]
    verified: bool
    problem: str | None = None


@dataclass
class ProjectSystem:
    """The receiver of the ``project-system`` subscription: records each POST and checks its signature."""

    secret: str = field(default_factory=new_secret)
    deliveries: list[Delivery] = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the stdlib's name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                problem = None
                try:
                    verify(headers, raw, secrets=[receiver.secret])
                except HubError as exc:
                    problem = exc.message
                receiver.deliveries.append(Delivery(headers, json.loads(raw or b"{}"), problem is None, problem))
                receiver.received.set()
                self.send_response(204 if problem is None else 401)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the report says what arrived
                pass

        return Handler


class Systems:
    """Every simulated system, started; :meth:`stop` ends them all."""

    def __init__(self) -> None:
        self.kingdee = KingdeeSimulator(SEED, customers=20, orders=30, production_orders=0)
        self.wecom = WeComSimulator(SEED, employees=4, contacts=5, approvals=2)
        self.dingtalk = DingTalkSimulator(SEED, contracts=2, leaves=0)
        self.mailbox = Mailbox(MAIL_USER, secrets.token_hex(12))
        self.project = ProjectSystem()
        self._servers: list[ThreadedServer] = []
        self._mail: MailServer | None = None
        self._http: ThreadingHTTPServer | None = None
        self.ports: dict[str, int] = {}

    def start(self) -> Systems:
        try:
            for name, app, port in (("kingdee", create_app(self.kingdee), KINGDEE_PORT),
                                    ("wecom", wecom_app(self.wecom), WECOM_PORT),
                                    ("dingtalk", self.dingtalk.app, DINGTALK_PORT)):
                server = ThreadedServer(name, app, port).start()
                self._servers.append(server)
                self.ports[name] = server.port
            self._mail = MailServer(self.mailbox).start()
            self.ports["imap"] = self._mail.port
            self._http = ThreadingHTTPServer(("127.0.0.1", 0), self.project.handler())
            threading.Thread(target=self._http.serve_forever, name="demo project system", daemon=True).start()
            self.ports["project"] = int(self._http.server_address[1])
        except BaseException:
            self.stop()
            raise
        return self

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
        self._servers.clear()
        if self._mail is not None:
            self._mail.stop()
            self._mail = None
        if self._http is not None:
            with contextlib.suppress(OSError):
                self._http.shutdown()
                self._http.server_close()
            self._http = None
