"""The conformance kit: the contract every connector keeps, checked the same way for all of them.

Subclass :class:`ConnectorConformance` in a connector's tests and say how to make a
working instance (usually against its simulator); pytest then runs every check::

    import httpx
    from hub.sdk import ConnectorContext
    from hub.sdk.testing import ConnectorConformance

    class TestKingdeeConformance(ConnectorConformance):
        connector_class = KingdeeConnector
        push_samples = {"PRD_MO": {"FBillNo": "MO-TEST-1", "FMaterialId": {"FNumber": "P-100"}, "FQty": 5}}

        def create(self) -> KingdeeConnector:
            simulator = KingdeeSimulator(seed=7)
            context = ConnectorContext("kd", "kingdee", transport=httpx.ASGITransport(simulator.app))
            return KingdeeConnector(KingdeeSettings(base_url="http://kingdee.test/k3cloud/", ...), context)

Each check is also a plain function (``check_declaration``, ``check_masking``,
``check_health``, ``check_pages``, ``check_resume``, ``check_push``) returning the
problems it found, for tests that want to call them one by one.

What it checks:

- the declaration: ``type``; ``settings_model`` derives from ConnectorSettings and has
  ``base_url``; every secret-named setting (``*secret``, ``*password``, ``*token``,
  ``*aes_key``) is a ``SecretStr``; every stream's and action's entity is canonical;
- ``masked()`` and ``repr()`` of the instance's settings never show a secret;
- ``check()`` reports ok;
- every stream's ``read()`` yields Pages of dict records whose state survives a JSON
  round trip; for streams with a cursor, reading again from a page's state continues
  after that page: nothing of the later pages is skipped, and nothing of the earlier
  pages comes again except records at the boundary cursor value (``>=``);
- every action pushed twice with one idempotency key gives the same external id, and
  ``created`` is False the second time (a sample record per action in ``push_samples``).
"""

from __future__ import annotations

import asyncio
import json
import types
import typing
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

from pydantic import SecretStr

from hub.sdk.contract import (
    ActionSpec,
    Connector,
    ConnectorSettings,
    Health,
    Page,
    PushResult,
    StreamSpec,
    StreamState,
)
from hub.store.entities import ENTITIES

T = TypeVar("T")
Factory = Callable[[], Connector]
CursorOf = Callable[[str, dict[str, Any]], Any]


# -- the checks ------------------------------------------------------------------------------------


def check_declaration(cls: type[Connector]) -> list[str]:
    """The class attributes: type, settings model, streams and actions."""
    problems: list[str] = []
    if not isinstance(getattr(cls, "type", None), str) or not cls.type:
        problems.append(f"{cls.__name__}.type must be a non-empty string (the name hub.yaml uses)")
    model = getattr(cls, "settings_model", None)
    if not (isinstance(model, type) and issubclass(model, ConnectorSettings)):
        problems.append(f"{cls.__name__}.settings_model must derive from hub.sdk.ConnectorSettings")
    else:
        if "base_url" not in model.model_fields:
            problems.append(f"{model.__name__} has no base_url (every connector can point at a simulator)")
        for name in model.secret_fields():
            if not _is_secret_type(model.model_fields[name].annotation):
                problems.append(f"{model.__name__}.{name} holds a secret: declare it SecretStr (or SecretStr | None)")
    for key, spec in cls.streams.items():
        if not isinstance(spec, StreamSpec):
            problems.append(f"stream {key!r} is not a StreamSpec")
        elif spec.entity not in ENTITIES:
            problems.append(f"stream {key!r} feeds unknown entity {spec.entity!r}; known: {', '.join(ENTITIES)}")
    for key, action in cls.actions.items():
        if not isinstance(action, ActionSpec):
            problems.append(f"action {key!r} is not an ActionSpec")
        elif action.entity is not None and action.entity not in ENTITIES:
            problems.append(f"action {key!r} pushes unknown entity {action.entity!r}")
    return problems


def check_masking(connector: Connector) -> list[str]:
    """No secret value in ``masked()`` or ``repr()`` of the settings."""
    settings = connector.settings
    problems: list[str] = []
    masked = json.dumps(settings.masked(), ensure_ascii=False, default=str)
    shown = repr(settings) + str(settings)
    for name in settings.secret_fields():
        value = getattr(settings, name)
        secret = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(secret, str) or len(secret) < 3:
            continue  # unset, or too short to tell apart from other text
        if secret in masked:
            problems.append(f"masked() shows the secret setting {name}")
        if secret in shown:
            problems.append(f"repr() of the settings shows the secret setting {name}")
    return problems


async def check_health(connector: Connector) -> list[str]:
    health = await connector.check()
    if not isinstance(health, Health):
        return [f"check() returned {type(health).__name__}, not Health"]
    return [] if health.ok else [f"check() is not ok: {health.message}"]


async def check_pages(connector: Connector, stream: str, *, max_pages: int = 3) -> list[str]:
    """Pages hold dict records and a state that survives a JSON round trip."""
    problems: list[str] = []
    for full in (True, False):
        pages = await _read(connector, stream, StreamState(), full=full, max_pages=max_pages)
        if not pages:
            problems.append(f"{stream} (full={full}): read() yielded no page (yield one, even if empty)")
        for number, page in enumerate(pages, start=1):
            where = f"{stream} (full={full}) page {number}"
            if not isinstance(page, Page):
                problems.append(f"{where}: yielded {type(page).__name__}, not Page")
                continue
            if not isinstance(page.records, list) or not all(isinstance(r, dict) for r in page.records):
                problems.append(f"{where}: records must be a list of dicts")
            problems += _state_problems(where, page.state)
    return problems


async def check_resume(
    connector: Connector, stream: str, *, max_pages: int = 3, cursor_of: CursorOf | None = None
) -> list[str]:
    """Reading again from each page's state continues after that page (boundary repeats allowed)."""
    spec = connector.streams[stream]
    if spec.cursor_field is None:
        return []
    cursor_of = cursor_of or _cursor_getter(spec.cursor_field)
    pages = await _read(connector, stream, StreamState(), full=False, max_pages=max_pages + 1)
    problems: list[str] = []
    for k in range(len(pages) - 1):
        earlier = [r for page in pages[: k + 1] for r in page.records]
        if not earlier:
            continue
        boundary = cursor_of(stream, pages[k].records[-1]) if pages[k].records else None
        state = StreamState.from_json(json.loads(json.dumps(pages[k].state.to_json())))
        again = await _read(connector, stream, state, full=False, max_pages=len(pages) - k)
        resumed = {_key(r): r for page in again for r in page.records}
        earlier_keys = {_key(r) for r in earlier}
        for key, record in resumed.items():
            if key in earlier_keys and cursor_of(stream, record) != boundary:
                problems.append(f"{stream}: resuming after page {k + 1} repeated a record before the cursor "
                                f"boundary ({cursor_of(stream, record)!r} < {boundary!r})")
                break
        missing = [r for r in pages[k + 1].records if _key(r) not in resumed]
        if missing:
            problems.append(f"{stream}: resuming after page {k + 1} skipped {len(missing)} record(s) of page {k + 2}")
    return problems


async def check_push(connector: Connector, action: str, record: dict[str, Any]) -> list[str]:
    """The same idempotency key twice: one vendor record, ``created`` only the first time."""
    key = f"conformance-{uuid.uuid4().hex[:12]}"
    first = await connector.push(action, dict(record), idempotency_key=key)
    second = await connector.push(action, dict(record), idempotency_key=key)
    problems: list[str] = []
    if not isinstance(first, PushResult) or not isinstance(second, PushResult):
        return [f"push({action!r}) must return PushResult"]
    if not first.created:
        problems.append(f"push({action!r}) with a new key reported created=False")
    if second.external_id != first.external_id:
        problems.append(f"push({action!r}) twice with one key made two records: {first.external_id} and "
                        f"{second.external_id}")
    if second.created:
        problems.append(f"push({action!r}) retried with the same key reported created=True")
    return problems


# -- the pytest base class --------------------------------------------------------------------------


class ConnectorConformance(ABC):
    """Subclass as ``Test<Name>Conformance``, set ``connector_class``, implement ``create``."""

    connector_class: ClassVar[type[Connector]]
    push_samples: ClassVar[dict[str, dict[str, Any]]] = {}  # action -> a vendor record to push
    max_pages: ClassVar[int] = 3  # pages read per check (keep simulators' page size small)

    @abstractmethod
    def create(self) -> Connector:
        """A working instance (e.g. against the connector's simulator); called once per check."""

    def cursor_of(self, stream: str, record: dict[str, Any]) -> Any:
        """A raw record's cursor value (default: the stream's cursor_field, as a flat or dotted key)."""
        return _cursor_getter(self.connector_class.streams[stream].cursor_field or "")(stream, record)

    def test_declaration(self) -> None:
        _assert_none(check_declaration(self.connector_class))

    def test_secrets_are_masked(self) -> None:
        _assert_none(self._run(lambda c: _ready(check_masking(c))))

    def test_check_reports_ok(self) -> None:
        _assert_none(self._run(check_health))

    def test_streams_yield_pages_with_json_state(self) -> None:
        async def all_streams(connector: Connector) -> list[str]:
            return [p for s in connector.streams for p in await check_pages(connector, s, max_pages=self.max_pages)]

        _assert_none(self._run(all_streams))

    def test_reading_resumes_from_a_pages_state(self) -> None:
        async def all_streams(connector: Connector) -> list[str]:
            return [p for s in connector.streams
                    for p in await check_resume(connector, s, max_pages=self.max_pages, cursor_of=self.cursor_of)]

        _assert_none(self._run(all_streams))

    def test_pushes_are_idempotent(self) -> None:
        missing = sorted(set(self.connector_class.actions) - set(self.push_samples))
        if missing:
            _assert_none([f"push_samples has no sample record for action {a!r}" for a in missing])

        async def all_actions(connector: Connector) -> list[str]:
            return [p for a, record in self.push_samples.items() for p in await check_push(connector, a, record)]

        _assert_none(self._run(all_actions))

    def _run(self, check: Callable[[Connector], Awaitable[T]]) -> T:
        async def go() -> T:
            connector = self.create()
            try:
                return await check(connector)
            finally:
                await connector.aclose()

        return asyncio.run(go())


def check_connector(
    create: Factory,
    *,
    push_samples: dict[str, dict[str, Any]] | None = None,
    max_pages: int = 3,
    cursor_of: CursorOf | None = None,
) -> None:
    """Every check at once; raises one AssertionError listing every problem."""

    async def go() -> list[str]:
        connector = create()
        try:
            problems = check_declaration(type(connector)) + check_masking(connector) + await check_health(connector)
            for stream in connector.streams:
                problems += await check_pages(connector, stream, max_pages=max_pages)
                problems += await check_resume(connector, stream, max_pages=max_pages, cursor_of=cursor_of)
            for action, record in (push_samples or {}).items():
                problems += await check_push(connector, action, record)
            return problems
        finally:
            await connector.aclose()

    _assert_none(asyncio.run(go()))


# -- helpers ----------------------------------------------------------------------------------------


async def _read(connector: Connector, stream: str, state: StreamState, *, full: bool, max_pages: int) -> list[Page]:
    pages: list[Page] = []
    iterator = connector.read(stream, state, full=full)
    try:
        async for page in iterator:
            pages.append(page)
            if len(pages) >= max_pages:
                break
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
    return pages


def _state_problems(where: str, state: Any) -> list[str]:
    if not isinstance(state, StreamState):
        return [f"{where}: state is {type(state).__name__}, not StreamState"]
    try:
        text = json.dumps(state.to_json())
    except (TypeError, ValueError) as exc:
        return [f"{where}: state is not JSON-serialisable ({exc}); the engine stores it as JSON"]
    if StreamState.from_json(json.loads(text)).to_json() != state.to_json():
        return [f"{where}: state changes in a JSON round trip (tuples, sets or non-string keys?)"]
    return []


def _cursor_getter(field: str) -> CursorOf:
    def get(_stream: str, record: dict[str, Any]) -> Any:
        if field in record:
            return record[field]
        value: Any = record
        for part in field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    return get


def _key(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)


def _is_secret_type(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return len(args) == 1 and args[0] is SecretStr
    return False


async def _ready(value: T) -> T:
    return value


def _assert_none(problems: list[str]) -> None:
    if problems:
        raise AssertionError("connector conformance:\n  " + "\n  ".join(problems))
