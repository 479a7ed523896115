"""The HTTP client every connector uses: one factory, the error table, retries, rate limit, credentials."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from hub.errors import RateLimitedError, RetryableError
from hub.sdk.contract import ConnectorContext
from hub.sdk.errors import Action, ErrorTable, Verdict
from hub.sdk.ratelimit import RateLimiter
from hub.sdk.retry import RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)


def make_http_client(
    context: ConnectorContext, base_url: str = "", *, timeout: float | None = None
) -> httpx.AsyncClient:
    """The one way connectors get an HTTP client: timeouts, no redirects, an injectable transport."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout or context.timeout, connect=10.0),
        follow_redirects=False,
        transport=context.transport,
        headers={"User-Agent": "integration-hub/0.1"},
    )


@dataclass
class Credentials:
    """What a request needs to be authenticated: query parameters and/or headers."""

    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


class Authenticator(Protocol):
    async def credentials(self) -> Credentials:
        """Credentials for the next request (fetching a token if none is cached)."""
        ...

    async def refresh(self, used: Credentials) -> None:
        """The vendor rejected ``used``: drop it so the next ``credentials()`` gets a fresh one."""
        ...


Parse = Callable[[httpx.Response], Any]


def parse_json(response: httpx.Response) -> Any:
    """JSON body, or the text for vendors that answer errors in plain text (Yonyou's 非法token)."""
    if not response.content:
        return None
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text


class VendorClient:
    """Sends a request until the error table says it succeeded, or raises the hub exception for why not."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        errors: ErrorTable,
        *,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        auth: Authenticator | None = None,
        parse: Parse = parse_json,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.http = http
        self.errors = errors
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self.auth = auth
        self.parse = parse
        self.sleep = sleep
        self.requests = 0  # sent in all (tests, metrics)

    async def call(
        self,
        method: str,
        url: str,
        *,
        what: str,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        authenticated: bool = True,
        sign: Callable[[httpx.Request], None] | None = None,
    ) -> Any:
        """The parsed body of a successful response. ``what`` names the call in errors ("ExecuteBillQuery").

        Transient errors and rate limits are retried by tenacity on the RetryPolicy
        (jittered backoff, Retry-After honoured); a rejected credential is refreshed
        once; everything else raises the error table's exception at once.
        """
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            retry=retry_if_exception(self._retriable),
            sleep=self.sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send(method, url, what, json, params, headers, content, authenticated, sign)
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _retriable(self, exc: BaseException) -> bool:
        if isinstance(exc, RateLimitedError):
            return exc.retry_after is None or exc.retry_after <= self.retry.max_retry_after
        return isinstance(exc, RetryableError)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = exc.retry_after if isinstance(exc, RateLimitedError) else None
        delay = self.retry.backoff(state.attempt_number, retry_after)
        log.info("%s: %s; retry %d in %.1fs", self.errors.vendor, exc, state.attempt_number, delay)
        return delay

    async def _send(
        self,
        method: str,
        url: str,
        what: str,
        json: Any,
        params: dict[str, Any] | None,
        headers: dict[str, str] | None,
        content: bytes | None,
        authenticated: bool,
        sign: Callable[[httpx.Request], None] | None,
    ) -> Any:
        """One try (plus one replay after refreshing rejected credentials)."""
        for replay in (False, True):
            if self.limiter is not None:
                await self.limiter.acquire()
            used = await self.auth.credentials() if (self.auth and authenticated) else Credentials()
            target = httpx.URL(url)
            # httpx replaces a URL's query when params are given: merge them so ?id= survives the token.
            query = {**dict(target.params), **(params or {}), **used.params}
            request = self.http.build_request(
                method, target.copy_with(query=None) if target.query else target, json=json, content=content,
                params=query or None, headers={**(headers or {}), **used.headers},
            )
            if sign is not None:
                sign(request)  # signatures cover the final request (timestamp, nonce, path)
            self.requests += 1
            try:
                response = await self.http.send(request)
            except httpx.TimeoutException as exc:
                verdict = Verdict(Action.RETRY, 0, message=f"timed out ({type(exc).__name__})")
            except httpx.TransportError as exc:
                verdict = Verdict(Action.RETRY, 0, message=f"connection failed: {exc}")
            else:
                body = self.parse(response)
                verdict = self.errors.classify(
                    response.status_code, body, parse_retry_after(response.headers.get("Retry-After"))
                )
                if verdict.action is Action.OK:
                    return body
            if verdict.action is Action.REFRESH_TOKEN and self.auth is not None and authenticated and not replay:
                log.info("%s %s: credentials rejected (%s); refreshing once", self.errors.vendor, what,
                         verdict.code or verdict.status)
                await self.auth.refresh(used)
                continue
            raise self.errors.exception(verdict, what=what)
        raise AssertionError("unreachable")
