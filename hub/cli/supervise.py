"""``hub serve``'s worker processes: started beside the API, restarted if they die, stopped with it.

The worker runs in its own process rather than in the API's: its CPU-bound work
(mapping, storing) would otherwise share one interpreter lock with the event loop that
answers webhooks, which took the p99 of inbound webhooks from about 10 ms to over 100 ms
at 1,000 requests/s (bench/webhooks_inbound.py). Each worker exits by itself when this
process dies, even by SIGKILL (it watches its parent).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

log = logging.getLogger(__name__)

RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)


class WorkerProcesses:
    """``count`` ``hub worker`` children; the first also runs the sync scheduler."""

    def __init__(self, count: int, *, concurrency: int = 4) -> None:
        self.count = count
        self.concurrency = concurrency
        self._children: list[subprocess.Popen[bytes] | None] = [None] * count
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def command(self, index: int) -> list[str]:
        args = [sys.executable, "-m", "hub", "worker", "--concurrency", str(self.concurrency),
                "--parent-pid", str(os.getpid())]
        return [*args, "--scheduler"] if index == 0 else args

    def start(self) -> None:
        for index in range(self.count):
            self._children[index] = self._spawn(index)
        self._thread = threading.Thread(target=self._watch, name="hub worker supervisor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM every worker (they finish their running jobs), then wait; SIGKILL the ones that hang."""
        self._stopping.set()
        children = [c for c in self._children if c is not None and c.poll() is None]
        for child in children:
            child.terminate()
        deadline = time.monotonic() + timeout
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker %d did not stop in %.0f s; killing it (its jobs are retried after their lease)",
                            child.pid, timeout)
                child.kill()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _spawn(self, index: int) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(self.command(index))  # noqa: S603 - our own CLI, same interpreter
        log.info("worker process %d started (pid %d)", index + 1, child.pid)
        return child

    def _watch(self) -> None:
        failures = [0] * self.count
        while not self._stopping.wait(1.0):
            for index, child in enumerate(self._children):
                if child is None or child.poll() is None:
                    continue
                delay = RESTART_DELAYS[min(failures[index], len(RESTART_DELAYS) - 1)]
                log.error("worker process %d (pid %d) exited with %s; restarting in %.0f s",
                          index + 1, child.pid, child.returncode, delay)
                failures[index] += 1
                if self._stopping.wait(delay):
                    return
                self._children[index] = self._spawn(index)
