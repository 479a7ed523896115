"""``hub keys create | list | revoke``: API keys for ``Authorization: Bearer <key>``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from hub.cli.runtime import database, info, load_settings, require_current_schema
from hub.security.api_keys import Role, create_api_key, list_api_keys, revoke_api_key

app = typer.Typer(
    help="API keys for the HTTP API and the console. Roles: admin > operator > viewer.",
    no_args_is_help=True,
)


@app.command("create")
def create_command(
    role: Annotated[Role, typer.Option(case_sensitive=False, help="What the key may do.")],
    name: Annotated[
        str | None, typer.Option(help="Who or what uses the key (shown in audit trails) [default: cli-<role>].")
    ] = None,
) -> None:
    """Create a key and print it once: only its hash is stored.

    The key alone goes to stdout, notes to stderr, so it can be captured.

    \b
    Examples:
      hub keys create --role admin --name alice
      KEY=$(hub keys create --role viewer --name grafana)
    """
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            row, key = create_api_key(conn, role, name if name is not None else f"cli-{role.value}")
    info(f"created {row['role']} key {row['id']} ({row['name']}, prefix {row['prefix']})")
    typer.echo(key)
    info("store it now: the key will not be shown again (send it as `Authorization: Bearer <key>`)")


@app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array instead of a table.")] = False,
) -> None:
    """List keys (never their secret): id, prefix, role, name, when created, last used and revoked."""
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.connect() as conn:
            rows = list_api_keys(conn)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        info("no API keys yet: create one with `hub keys create --role admin`")
        return
    typer.echo(_table(rows))


@app.command("revoke")
def revoke_command(
    key_id: Annotated[str, typer.Argument(metavar="ID", help="The key's id (key_...) or its prefix.")],
) -> None:
    """Revoke a key: requests with it are refused from now on. Revoking twice is harmless.

    \b
    Example:
      hub keys revoke key_01J9Z8...
    """
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            row = revoke_api_key(conn, key_id)
    typer.echo(f"revoked key {row['id']} ({row['name']}, prefix {row['prefix']}) at {row['revoked_at']}")


_COLUMNS = (
    ("ID", "id"),
    ("PREFIX", "prefix"),
    ("ROLE", "role"),
    ("NAME", "name"),
    ("CREATED", "created_at"),
    ("LAST USED", "last_used_at"),
    ("REVOKED", "revoked_at"),
)


def _table(rows: list[dict[str, Any]]) -> str:
    cells = [[title for title, _ in _COLUMNS]] + [[str(row[key] or "-") for _, key in _COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells)
