"""``hub serve``'s worker processes: the first schedules, a dead one is restarted, stop() ends them all."""

from __future__ import annotations

import sys
import time

from hub.cli.supervise import WorkerProcesses


class Sleepers(WorkerProcesses):
    def command(self, index: int) -> list[str]:
        return [sys.executable, "-c", "import time; time.sleep(60)"]


def test_only_the_first_worker_runs_the_scheduler_and_each_watches_its_parent() -> None:
    children = WorkerProcesses(2)
    first, second = children.command(0), children.command(1)
    assert "--scheduler" in first
    assert "--scheduler" not in second
    assert first[first.index("--parent-pid") + 1].isdigit()


def test_a_worker_that_dies_is_restarted_and_stop_ends_them_all() -> None:
    children = Sleepers(2)
    children.start()
    try:
        first = children._children[0]
        assert first is not None
        first.kill()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and children._children[0] is first:
            time.sleep(0.1)
        replacement = children._children[0]
        assert replacement is not first
        assert replacement is not None
        assert replacement.poll() is None
    finally:
        children.stop(timeout=10)
    assert all(c is not None and c.poll() is not None for c in children._children)
