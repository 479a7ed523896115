"""A scriptable webhook receiver on 127.0.0.1: records every request, answers as told, counts concurrency."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Answer:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class Receiver:
    """``answer(...)`` queues answers (then the default); ``requests`` lists what arrived, in order."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.default = Answer()
        self.by_path: dict[str, Callable[[Received], Answer]] = {}
        self._script: deque[Answer] = deque()
        self._lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                received = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
                answer = receiver._enter(received)
                try:
                    if answer.delay:
                        time.sleep(answer.delay)
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):  # the sender gave up waiting
                    self.close_connection = True
                finally:
                    receiver._leave()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, *answers: Answer | int) -> None:
        with self._lock:
            self._script.extend(a if isinstance(a, Answer) else Answer(a) for a in answers)

    def _enter(self, received: Received) -> Answer:
        with self._lock:
            self.requests.append(received)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            if received.path in self.by_path:
                return self.by_path[received.path](received)
            return self._script.popleft() if self._script else self.default

    def _leave(self) -> None:
        with self._lock:
            self.active -= 1

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
