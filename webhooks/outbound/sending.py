"""One attempt: sign per Standard Webhooks v1, POST through the SSRF guard, and say what happened.

Never raises for what the endpoint or the network does: every outcome becomes an
:class:`~webhooks.outbound.queue.AttemptResult` (status code, latency, the first
kilobyte of the answer, or the error).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from datetime import UTC, datetime

import httpx

from hub import __version__
from hub.security.ssrf import BlockedAddressError, Network
from webhooks.outbound.policy import TIMEOUT, parse_retry_after
from webhooks.outbound.queue import AttemptResult, Claim
from webhooks.outbound.subscriptions import Endpoint
from webhooks.outbound.transports import Http, delivery_transport
from webhooks.signatures import signature_header

RESPONSE_BODY_LIMIT = 1024
USER_AGENT = f"integration-hub/{__version__} (Standard Webhooks)"


def signed_headers(endpoint: Endpoint, claim: Claim, body: bytes, when: datetime) -> dict[str, str]:
    """The request headers: the subscription's own, then the hub's (which win)."""
    timestamp = int(when.timestamp())
    signature = signature_header(
        claim.event_id, timestamp, body,
        secrets=endpoint.secrets_at(when), private_keys=[endpoint.signing_key] if endpoint.signing_key else (),
    )
    return {
        **endpoint.headers,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": claim.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


class Sender:
    """An HTTP client for deliveries: no redirects, a deadline per attempt, every connection SSRF-checked."""

    def __init__(
        self,
        *,
        allowed: Iterable[Network] = (),
        timeout: float = TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 256,
        http: Http = "auto",
    ) -> None:
        self.timeout = timeout
        if transport is None:
            transport = delivery_transport(allowed, max_connections=max_connections, http=http)
        self.client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: the guard checks the real destination
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send(self, endpoint: Endpoint, claim: Claim, *, worker: str | None = None) -> AttemptResult:
        started = datetime.now(UTC)
        body = claim.body.encode()
        headers = signed_headers(endpoint, claim, body, started)
        clock = time.perf_counter()
        status: int | None = None
        text: str | None = None
        error: str | None = None
        retry_after: float | None = None
        try:
            async with asyncio.timeout(self.timeout):
                async with self.client.stream("POST", endpoint.url, content=body, headers=headers) as response:
                    status = response.status_code
                    text = await _read_capped(response)
                    retry_after = parse_retry_after(response.headers.get("retry-after"), started)
                    if 300 <= status < 400:
                        location = response.headers.get("location", "")
                        error = f"HTTP {status}: redirects are not followed (Location: {location[:300]})"
        except BlockedAddressError as exc:
            error = f"blocked by the SSRF guard: {exc.message}"
        except (TimeoutError, httpx.TimeoutException):
            error = f"no answer within {self.timeout:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        latency = int((time.perf_counter() - clock) * 1000)
        return AttemptResult(claim, started, latency, status, text, error, retry_after, worker)


async def _read_capped(response: httpx.Response) -> str:
    """The first kilobyte of the answer (the rest is not read: the connection is dropped instead)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_BODY_LIMIT:
            break
    return b"".join(chunks)[:RESPONSE_BODY_LIMIT].decode("utf-8", errors="replace")

