"""``hub secrets``: keys for secrets at rest, and re-encrypting what is stored under a new one."""

from __future__ import annotations

from typing import Annotated

import typer

from hub.cli.runtime import database, load_settings, require_current_schema
from hub.errors import ConfigError
from hub.security.rotation import rotate_stored_secrets
from hub.security.secrets import SecretBox

app = typer.Typer(
    help="Secrets at rest: generate a key for HUB_SECRET_KEY, re-encrypt stored secrets under a new key.",
    no_args_is_help=True,
)


@app.command("keygen")
def keygen_command() -> None:
    """Print a new key for HUB_SECRET_KEY (Fernet: 32 url-safe base64 bytes).

    \b
    Examples:
      export HUB_SECRET_KEY=$(hub secrets keygen)
      HUB_SECRET_KEY="$(hub secrets keygen),$HUB_SECRET_KEY"    # a new key first, the old one kept
    """
    typer.echo(SecretBox.generate_key())


@app.command("rotate-key")
def rotate_key_command(
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask; for scripts.")] = False,
) -> None:
    """Re-encrypt every stored secret (subscription secrets and headers, cached tokens) with the newest key.

    Put the new key first in HUB_SECRET_KEY and keep the old one after it, run this, then
    drop the old key. It is one transaction: a value no key decrypts stops it with nothing
    changed.

    \b
    Examples:
      HUB_SECRET_KEY="$NEW,$OLD" hub secrets rotate-key
    """
    settings = load_settings()
    if settings.secret_key is None:
        raise ConfigError("HUB_SECRET_KEY is not set: put the new key first and the old one after it",
                          details={"hint": 'HUB_SECRET_KEY="$(hub secrets keygen),$OLD" hub secrets rotate-key'})
    box = SecretBox(settings.secret_key.get_secret_value())
    keys = [k for k in settings.secret_key.get_secret_value().split(",") if k.strip()]
    if len(keys) < 2 and not yes:
        typer.confirm("HUB_SECRET_KEY has one key: re-encrypt with it anyway?", abort=True)
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            counts = rotate_stored_secrets(conn, box)
    typer.echo("re-encrypted with the newest key: " + ", ".join(f"{n} in {t}" for t, n in counts.items()))
    typer.echo("the older keys can now be removed from HUB_SECRET_KEY")
