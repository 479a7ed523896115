"""``hub db upgrade | status``: the database schema."""

from __future__ import annotations

from typing import Annotated

import typer

from hub.cli.runtime import database, display_url, load_settings
from hub.errors import DatabaseNotReadyError

app = typer.Typer(
    help="Create and upgrade the database schema (SQLite by default, PostgreSQL via HUB_DATABASE_URL).",
    no_args_is_help=True,
)


@app.command("upgrade")
def upgrade_command(
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the SQL instead of running it (for DBAs); the database is not touched.")
    ] = False,
) -> None:
    """Bring the schema to the newest revision; running it again changes nothing.

    \b
    Examples:
      hub db upgrade
      hub db upgrade --sql > upgrade.sql
    """
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from hub.db import migrate
    from hub.db.engine import normalize_database_url

    settings = load_settings()
    if sql:
        typer.echo(migrate.upgrade_sql(normalize_database_url(settings.effective_database_url)), nl=False)
        return
    with database(settings) as engine:
        try:
            before, after = migrate.upgrade(engine)
        except (CommandError, SQLAlchemyError) as exc:
            raise DatabaseNotReadyError(
                f"cannot upgrade {display_url(settings.effective_database_url)}: {exc}"
            ) from exc
    if before == after:
        typer.echo(f"already at head ({after})")
    else:
        typer.echo(f"database at revision {after} (was {before or 'empty'})")


@app.command("status")
def status_command() -> None:
    """Show the database's schema revision and the newest one; exit code 1 if an upgrade is needed.

    \b
    Example:
      hub db status || hub db upgrade
    """
    from hub.db.migrate import schema_status

    settings = load_settings()
    with database(settings) as engine:
        status = schema_status(engine)
    typer.echo(f"database  {display_url(settings.effective_database_url)}")
    typer.echo(f"current   {status.current or '(empty)'}")
    typer.echo(f"head      {status.head}")
    if status.ready:
        typer.echo("up to date")
        return
    typer.echo("an upgrade is needed: run `hub db upgrade`")
    raise typer.Exit(1)
