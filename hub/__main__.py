"""``python -m hub``: the same CLI as the ``hub`` command (used to start worker processes)."""

from hub.cli.main import run

run()
