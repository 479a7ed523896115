"""``hub demo``: the three shipped flows end to end against simulators, with a short report."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from hub.cli.runtime import info

if TYPE_CHECKING:
    from hub.demo.report import Lang

LANGS = ("zh", "en", "both")


def demo_command(
    keep: Annotated[
        bool, typer.Option("--keep", help="After the report, keep the simulators running and serve the hub's API "
                           "(with a worker) over the demo workspace until Ctrl-C; prints an admin API key.")
    ] = False,
    lang: Annotated[str, typer.Option(help="Language of the report: zh, en or both.")] = "both",
    workspace: Annotated[
        Path | None, typer.Option(help="A new or empty folder for the demo workspace (kept afterwards) "
                                  "[default: a temporary folder, removed at exit unless --keep].")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="With --keep: the API's port [default: 8000, or a free "
                                 "port when 8000 is taken].")
    ] = None,
) -> None:
    """Play the shipped flows end to end against the simulators and report what happened where.

    Starts the Kingdee, WeCom and DingTalk simulators, a demo mailbox (IMAP) and a
    "project system" webhook receiver on 127.0.0.1, writes a workspace wired to them,
    runs the hub on SQLite, then: approves a sales order in Kingdee (production orders,
    DingTalk notices, order in production), approves a contract in WeCom (project,
    signed webhook, WeCom notice, Kingdee receivable) and delivers a customer's mail
    (ticket with its SLA; once resolved, a line on the customer's timeline). Exit 0 when
    every expected outcome happened, 1 otherwise (the report says what is missing).

    \b
    Examples:
      hub demo
      hub demo --lang en
      hub demo --keep                 # then explore http://127.0.0.1:8000/docs
      hub demo --workspace ./demo-ws  # keep the workspace and its hub.db
    """
    if lang not in LANGS:
        raise typer.BadParameter(f"{lang!r} is not one of {', '.join(LANGS)}", param_hint="--lang")
    # Imported here: every other command starts faster without the simulators and uvicorn.
    from hub.demo.play import Demo
    from hub.demo.report import missing, render
    from hub.demo.systems import Systems

    started = time.monotonic()
    temporary = Path(tempfile.mkdtemp(prefix="hub-demo-")) if workspace is None else None
    root = temporary / "workspace" if temporary is not None else Path(workspace or ".").resolve()
    info("hub demo: starting the simulators and the hub on SQLite / 正在启动模拟器和中枢 …")
    systems = Systems().start()
    try:
        demo = Demo(root, systems)
        try:
            facts = asyncio.run(demo.play())
            facts.timings["total"] = time.monotonic() - started
            typer.echo(render(facts, cast("Lang", lang)))
            gaps = missing(facts)
            if keep:
                from hub.demo.keep import serve_for_exploring

                serve_for_exploring(demo, systems, port)
        finally:
            demo.close()
    finally:
        systems.stop()
        if temporary is not None and not keep:
            shutil.rmtree(temporary, ignore_errors=True)
            info("the temporary workspace was removed (--workspace DIR keeps one) / 临时工作区已删除")
    raise typer.Exit(1 if gaps else 0)
