"""``hub mappings validate | preview | list``: check mapping files and try them on sample records."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from hub.cli.runtime import display_url, info, load_settings
from hub.errors import InvalidRequestError
from hub.mapping.lookups import LookupResolver, StoreResolver
from hub.mapping.mapping import Mapping, load_mapping
from hub.mapping.preview import parse_records, preview_records
from hub.mapping.registry import SUFFIXES, MappingEntry, MappingFileError, check_files, load_registry
from hub.settings import Settings

app = typer.Typer(
    help=(
        "Mapping files: check them, try them on sample records, list the loaded ones. "
        "Shipped mappings come with the hub; <workspace>/mappings/ overrides them by name or adds new ones."
    ),
    no_args_is_help=True,
)


@app.command("validate")
def validate_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(metavar="FILE", help="Mapping files to check [default: every shipped and workspace one]."),
    ] = None,
) -> None:
    """Check mapping files and print every error of every file as file:line: path: message.

    Exit code 0 when every file is valid ("ok: N mappings"), 1 when any is not.
    Without FILE, checks the shipped mappings and the workspace's mappings/ folder,
    including names used twice.

    \b
    Examples:
      hub mappings validate
      hub mappings validate mappings/kingdee/customer.yaml mappings/shop-order.yaml
    """
    if files:
        entries, errors = check_files(files)
        counts = _plural(len(entries), "mapping")
    else:
        registry = load_registry(load_settings().workspace, partial=True)
        entries, errors = registry.all(), list(registry.errors)
        counts = _counts(entries)
    problems = sorted((p for e in errors for p in e.problems), key=lambda p: (p.file, p.line or 0))
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        broken = len({e.path for e in errors})
        typer.echo(f"error: {_plural(len(problems), 'problem')} in {_plural(broken, 'file')}; {counts} valid")
        raise typer.Exit(1)
    typer.echo(f"ok: {counts}")


@app.command("preview")
def preview_command(
    mapping: Annotated[
        str, typer.Argument(metavar="FILE", help="A mapping file, or the name of a loaded mapping.")
    ],
    input_file: Annotated[
        str,
        typer.Option("--input", "-i", metavar="RECORDS.json",
                     help="Records: a JSON array, one JSON object, or JSON Lines; - reads stdin."),
    ],
    reverse: Annotated[
        bool, typer.Option("--reverse", help="The records are canonical: show the vendor records a push would send.")
    ] = False,
) -> None:
    """Apply a mapping to sample records and print one JSON object per record (JSON Lines).

    Each line is {"index", "id", "ok": true, "fields"} or {"index", "id", "ok": false,
    "error": {"field", "value", "reason", "message"}}; with --reverse, {"index", "ok",
    "vendor", "not_reversed"}. Decimals print as text, times as ISO 8601. A bad record
    never stops the run: exit code 0 when every record mapped, 1 when any failed.

    Lookups are resolved through the workspace database when it exists and is
    migrated; otherwise they show as {"$lookup": ...} and a note says so on stderr.

    \b
    Examples:
      hub mappings preview mappings/kingdee/customer.yaml --input samples.json
      hub mappings preview kingdee-customer --input page.jsonl | jq 'select(.ok | not)'
      hub mappings preview kingdee-customer --input canonical.json --reverse
    """
    settings = load_settings()
    loaded = _mapping_named(mapping, settings)
    records = parse_records(_read_input(input_file))
    with _lookup_resolver(loaded, settings) as resolver:
        results = preview_records(loaded, records, reverse=reverse, resolver=resolver)
    for result in results:
        typer.echo(json.dumps(result, ensure_ascii=False))
    failed = sum(1 for r in results if not r["ok"])
    if failed:
        info(f"{failed} of {_plural(len(results), 'record')} failed")
        raise typer.Exit(1)


@app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: {items, errors} as the API does.")] = False,
) -> None:
    """List the loaded mappings: name, entity, system/object, shipped or workspace, hash prefix.

    Files that fail to load are named on stderr (details: hub mappings validate).

    \b
    Examples:
      hub mappings list
      hub mappings list --json | jq '.items[].name'
    """
    registry = load_registry(load_settings().workspace, partial=True)
    if as_json:
        document = {"items": [e.summary() for e in registry.all()], "errors": [e.summary() for e in registry.errors]}
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    if registry.all():
        typer.echo(_table(registry.all()))
    else:
        info("no mappings: add YAML files to the workspace's mappings/ folder")
    _warn_broken(registry.errors)


def _counts(entries: list[MappingEntry]) -> str:
    shipped = sum(1 for e in entries if e.source == "shipped")
    overriding = sum(1 for e in entries if e.overrides is not None)
    detail = f"{shipped} shipped, {len(entries) - shipped} workspace"
    if overriding:
        detail += f"; {overriding} {'overrides' if overriding == 1 else 'override'} a shipped one"
    return f"{_plural(len(entries), 'mapping')} ({detail})"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _mapping_named(name_or_file: str, settings: Settings) -> Mapping:
    path = Path(name_or_file)
    if path.is_file() or name_or_file.endswith(SUFFIXES):
        return load_mapping(path, source_name=name_or_file)
    return load_registry(settings.workspace, partial=True).get(name_or_file).mapping


def _read_input(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidRequestError(f"--input {name}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRequestError(f"--input {name}: cannot read it: {exc}") from None


@contextmanager
def _lookup_resolver(mapping: Mapping, settings: Settings) -> Iterator[LookupResolver | None]:
    """A StoreResolver on the workspace database, or None (lookups stay unresolved) with a note why."""
    if not mapping.push_has_lookups:
        yield None
        return
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from hub.db.engine import create_db_engine, normalize_database_url, read_only
    from hub.db.migrate import schema_status

    url = normalize_database_url(settings.effective_database_url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not (parsed.database and Path(parsed.database).is_file()):
        _note_unresolved(f"there is no database at {display_url(url)}")
        yield None
        return
    engine = create_db_engine(url)
    try:
        try:
            problem = None if schema_status(engine).ready else "is not migrated (run `hub db upgrade`)"
        except SQLAlchemyError as exc:
            problem = f"is unreachable ({type(exc).__name__})"
        if problem is not None:
            _note_unresolved(f"the database {display_url(url)} {problem}")
            yield None
            return
        with read_only(engine) as conn:
            yield StoreResolver(conn)
    finally:
        engine.dispose()


def _note_unresolved(why: str) -> None:
    info(f'note: lookups are not resolved because {why}; they show as {{"$lookup": ...}}')


def _warn_broken(errors: Iterable[MappingFileError]) -> None:
    broken = list(errors)
    if broken:
        files = ", ".join(e.file for e in broken)
        info(f"warning: {_plural(len(broken), 'mapping file')} failed to load ({files}): see `hub mappings validate`")


_COLUMNS = (("NAME", "name"), ("ENTITY", "entity"), ("SYSTEM/OBJECT", "system_object"), ("SOURCE", "source"),
            ("HASH", "hash"))


def _table(entries: list[MappingEntry]) -> str:
    rows: list[dict[str, Any]] = [
        {"name": e.name, "entity": e.entity, "system_object": f"{e.system}/{e.object}",
         "source": e.source + (" (overrides shipped)" if e.overrides else ""), "hash": e.hash[:12]}
        for e in entries
    ]
    cells = [[title for title, _ in _COLUMNS]] + [[str(row[key]) for _, key in _COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells)

