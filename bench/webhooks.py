"""Issue 5's three webhook benchmarks in one run, each against its own baseline measured in the same run.

Run:  .venv/bin/python bench/webhooks.py [--quick]

(a) ``bench/webhooks_inbound.py --workers``: signed inbound ingest with the durable write vs a bare
    FastAPI endpoint under the same server settings (target ≥ 0.4x, p99 < 25 ms at 1,000 req/s), for
    the API alone, with the worker in the API process, and with the worker in its own process
    (as ``hub serve`` runs it).
(b) ``bench/webhooks_outbound.py``: signed deliveries with durable attempt records to a local
    receiver vs raw POST loops (target ≥ 2,000 deliveries/s).
(c) ``bench/webhooks_pipeline.py``: inbound → mapping → store → event → outbound delivered, through
    ``hub serve`` on SQLite (target ≥ 1,000 events/s).

Each part is its own script (run one alone while working on it); this one runs them in turn.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Shorter runs (a rough look, not for BENCHMARKS.md).")
    args = parser.parse_args()
    parts = [
        ("(a) inbound", ["webhooks_inbound.py", "--workers", "--seconds", "5" if args.quick else "10"]),
        ("(b) outbound", ["webhooks_outbound.py", "--n", "5000" if args.quick else "20000"]),
        ("(c) pipeline", ["webhooks_pipeline.py", "--n", "5000" if args.quick else "20000"]),
    ]
    for title, command in parts:
        print(f"\n=== {title}: {' '.join(command)}", flush=True)
        subprocess.run([sys.executable, str(HERE / command[0]), *command[1:]], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
