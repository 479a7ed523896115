"""The ``hub`` command: ``run()`` is the console-script entry point.

Expected failures (every :class:`~hub.errors.HubError`) are printed as ``error: ...``
on stderr, with their hints, and exit 1; configuration errors exit 2. Only a bug
shows a traceback.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from hub import __version__
from hub.cli import (
    config,
    connectors,
    db,
    deliveries,
    demo,
    flows,
    inbound,
    init,
    keys,
    mappings,
    quarantine,
    remap,
    secrets,
    serve,
    subscriptions,
    sync,
    worker,
)
from hub.errors import ConfigError, HubError

EXIT_ERROR = 1
EXIT_CONFIG_ERROR = 2


class HubGroup(TyperGroup):
    """The root command group: turns HubError into a clean message and an exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer's own (vendored) click Context
        try:
            return super().invoke(ctx)
        except HubError as exc:
            report_error(exc)
            raise typer.Exit(EXIT_CONFIG_ERROR if isinstance(exc, ConfigError) else EXIT_ERROR) from None


def report_error(exc: HubError) -> None:
    """``error: <message>`` and, for a mapping of details, one ``  key: value`` line each.

    A list of details (the ``{file, line, path, message}`` of configuration errors)
    is already spelled out in the message, so it is not printed twice.
    """
    typer.echo(f"error: {exc.message}", err=True)
    if isinstance(exc.details, dict):
        for key, value in exc.details.items():
            if value is not None:
                typer.echo(f"  {key}: {value}", err=True)


app = typer.Typer(
    cls=HubGroup,
    name="hub",
    help=(
        "The integration hub: connects Kingdee, Yonyou, WeCom, DingTalk and mail around one canonical "
        "customer/order/ticket model.\n\n"
        "The workspace folder (HUB_WORKSPACE, default the current folder) holds hub.yaml, mappings/ and flows/; "
        "the database is HUB_DATABASE_URL (default sqlite:///<workspace>/hub.db).\n\n"
        "Start here: hub init myhub, cd myhub, hub db upgrade, hub keys create --role admin, hub serve."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"hub {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    _version: Annotated[
        bool,
        typer.Option("--version", help="Print the hub's version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    # No docstring: it would replace the group's help text above.
    pass


app.command("init")(init.init_command)
app.command("serve")(serve.serve_command)
app.add_typer(db.app, name="db")
app.add_typer(keys.app, name="keys")
app.add_typer(config.app, name="config")
app.add_typer(mappings.app, name="mappings")
app.command("remap")(remap.remap_command)
app.command("worker")(worker.worker_command)
app.add_typer(connectors.app, name="connectors")
app.command("sync")(sync.sync_command)
app.add_typer(sync.runs_app, name="sync-runs")
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(subscriptions.app, name="subscriptions")
app.add_typer(deliveries.app, name="deliveries")
app.add_typer(inbound.app, name="inbound")
app.add_typer(flows.app, name="flows")
app.add_typer(secrets.app, name="secrets")
app.command("demo")(demo.demo_command)


def run() -> None:
    """The ``hub`` console script."""
    app()
