"""``hub subscriptions list | create | rotate | enable | disable | delete | sync``: outbound webhooks."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Annotated, Any

import typer

from hub.cli.runtime import database, info, load_settings, require_current_schema
from hub.db.types import utcnow
from hub.errors import InvalidRequestError
from hub.security.secrets import SecretBox
from hub.settings import Settings
from webhooks.outbound.config_sync import sync_subscriptions
from webhooks.outbound.models import SubscriptionCreate
from webhooks.outbound.subscriptions import (
    check_destination,
    create_subscription,
    delete_subscription,
    list_subscriptions,
    rotate_secret,
    set_enabled,
)

app = typer.Typer(
    help="Outbound webhooks: who receives which events, signed with Standard Webhooks. "
         "Subscriptions come from hub.yaml (`hub subscriptions sync`) or are created here or through the API.",
    no_args_is_help=True,
)

_DURATION = re.compile(r"(\d+)\s*(s|m|h|d)?")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(text: str) -> timedelta:
    """``30d``, ``24h``, ``90m``, ``45s`` or plain seconds."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match:
        raise InvalidRequestError(f"{text!r} is not a duration: write e.g. 30d, 24h, 90m or 45s")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def secret_box(settings: Settings) -> SecretBox | None:
    return SecretBox(settings.secret_key.get_secret_value()) if settings.secret_key else None


@app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array instead of a table.")] = False,
) -> None:
    """List subscriptions: name, state, events, URL (never the secret)."""
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.connect() as conn:
            rows = list_subscriptions(conn, secret_box(settings))
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        info("no subscriptions: add them to hub.yaml (then `hub subscriptions sync`) or `hub subscriptions create`")
        return
    typer.echo(_table(rows))


@app.command("create")
def create_command(
    name: Annotated[str, typer.Argument(help="Lowercase letters, digits, '-' and '_'.")],
    url: Annotated[str, typer.Option(help="Where events are POSTed (http:// or https://).")],
    events: Annotated[list[str], typer.Option("--event", "-e", help="Event type or pattern (order.*); repeat.")],
    description: Annotated[str | None, typer.Option(help="Free text for people.")] = None,
    headers: Annotated[
        list[str] | None, typer.Option("--header", "-H", help="Extra header 'Name: value' (stored encrypted); repeat.")
    ] = None,
    filters: Annotated[
        list[str] | None, typer.Option("--filter", help="field=value on the record; repeat a field for any-of.")
    ] = None,
    ordered: Annotated[bool, typer.Option(help="Deliver each record's events one at a time, in order.")] = False,
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight at once [default: 4].")] = None,
    ed25519: Annotated[bool, typer.Option(help="Also sign with an ed25519 key (v1a).")] = False,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create it paused.")] = False,
) -> None:
    """Create a subscription and print its signing secret once (stdout; notes go to stderr).

    \b
    Examples:
      hub subscriptions create mes --url https://mes.example.cn/hooks/hub -e order.confirmed -e 'production_order.*'
      SECRET=$(hub subscriptions create crm --url https://crm.example.cn/hub -e 'customer.*' --filter status=active)
    """
    spec = SubscriptionCreate.model_validate({
        "name": name, "url": url, "events": events, "description": description, "headers": _headers(headers or []),
        "filter": _filters(filters or []) or None, "ordered": ordered, "concurrency": concurrency,
        "ed25519": ed25519, "enabled": not disabled,
    })
    settings = load_settings()
    check_destination(spec.url, settings.allowed_networks)
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            document, secret = create_subscription(conn, secret_box(settings), name, spec, now=utcnow())
    info(f"created subscription {document['name']} ({document['id']}) -> {document['url']}")
    typer.echo(secret)
    info("store the secret now: it will not be shown again (the receiver verifies signatures with it)")
    if document["public_key"]:
        info(f"ed25519 public key (v1a): {document['public_key']}")


@app.command("rotate")
def rotate_command(
    name: Annotated[str, typer.Argument(help="The subscription's name or id.")],
    overlap: Annotated[
        str | None, typer.Option(help="How long the old secret keeps signing too, e.g. 24h [default: "
                                      "webhooks.rotation_overlap].")
    ] = None,
) -> None:
    """Give a subscription a new signing secret and print it once.

    During the overlap every delivery carries two signatures (new first), so the
    receiver can switch to the new secret at its own pace.
    """
    settings = load_settings()
    if overlap is not None:
        window = parse_duration(overlap)
    else:
        from hub.workspace.loader import load_workspace

        window = timedelta(seconds=load_workspace(settings.workspace).config.webhooks.rotation_overlap)
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            document, secret = rotate_secret(conn, secret_box(settings), name, overlap=window, now=utcnow())
    typer.echo(secret)
    until = document["previous_secret_expires_at"]
    info(f"rotated {document['name']}: " + (f"the old secret also signs until {until}" if until
                                            else "the old secret no longer signs"))


@app.command("enable")
def enable_command(name: Annotated[str, typer.Argument(help="The subscription's name or id.")]) -> None:
    """Enable a subscription: its waiting deliveries go out, new events are delivered again."""
    _set_enabled(name, True, None)


@app.command("disable")
def disable_command(
    name: Annotated[str, typer.Argument(help="The subscription's name or id.")],
    reason: Annotated[str | None, typer.Option(help="Why (shown in list and the API).")] = None,
) -> None:
    """Pause a subscription: nothing is sent and new events are not queued for it until enabled."""
    _set_enabled(name, False, reason)


@app.command("delete")
def delete_command(name: Annotated[str, typer.Argument(help="The subscription's name or id.")]) -> None:
    """Delete a subscription created here or through the API, with its deliveries (hub.yaml's: remove them there)."""
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            row = delete_subscription(conn, name)
    typer.echo(f"deleted subscription {row['name']} ({row['id']})")


@app.command("sync")
def sync_command() -> None:
    """Bring hub.yaml's subscriptions into the database now (hub serve and hub worker do it when they start).

    New subscriptions without a `secret:` reference get a generated secret, printed
    here once as `name<TAB>secret` on stdout.
    """
    from hub.workspace.loader import load_workspace

    settings = load_settings()
    config = load_workspace(settings.workspace).config
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            report = sync_subscriptions(conn, secret_box(settings), config, now=utcnow(),
                                        check=lambda url: check_destination(url, settings.allowed_networks))
    for name, secret in report.created.items():
        info(f"created {name}" + ("" if secret else " (secret from hub.yaml)"))
        if secret:
            typer.echo(f"{name}\t{secret}")
    for label, names in (("updated", report.updated), ("disabled", report.disabled), ("enabled", report.enabled)):
        for name in names:
            info(f"{label} {name}")
    for name, problem in report.problems.items():
        info(f"warning: {name}: {problem}")
    if not report.changed:
        info("subscriptions already match hub.yaml")


def _set_enabled(name: str, enabled: bool, reason: str | None) -> None:
    settings = load_settings()
    with database(settings) as engine:
        require_current_schema(engine)
        with engine.begin() as conn:
            document = set_enabled(conn, secret_box(settings), name, enabled, now=utcnow(), reason=reason)
    typer.echo(f"{document['name']}: {'enabled' if document['enabled'] else 'disabled'}")


def _headers(values: list[str]) -> dict[str, str]:
    headers = {}
    for value in values:
        header, sep, content = value.partition(":")
        if not sep or not header.strip():
            raise InvalidRequestError(f"--header {value!r}: write 'Name: value'")
        headers[header.strip()] = content.strip()
    return headers


def _filters(values: list[str]) -> dict[str, Any]:
    wanted: dict[str, Any] = {}
    for value in values:
        field, sep, content = value.partition("=")
        if not sep or not field.strip():
            raise InvalidRequestError(f"--filter {value!r}: write field=value")
        field = field.strip()
        if field in wanted:
            previous = wanted[field]
            wanted[field] = [*(previous if isinstance(previous, list) else [previous]), content]
        else:
            wanted[field] = content
    return wanted


_COLUMNS = (("NAME", "name"), ("STATE", "state"), ("EVENTS", "events"), ("URL", "url"), ("SOURCE", "source"))


def _table(rows: list[dict[str, Any]]) -> str:
    shown = [
        {**r, "events": ",".join(r["events"]),
         "state": "enabled" if r["enabled"] else f"disabled ({r['disabled_reason'] or '-'})"}
        for r in rows
    ]
    cells = [[title for title, _ in _COLUMNS]] + [[str(r[key]) for _, key in _COLUMNS] for r in shown]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells)
