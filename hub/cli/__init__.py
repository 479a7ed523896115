"""The ``hub`` command line (typer): one module per command or command group, wired in :mod:`hub.cli.main`."""
