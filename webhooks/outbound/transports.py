"""The HTTP transport deliveries go through: always SSRF-guarded, aiohttp underneath when installed.

Deliveries keep httpx's API (one client type in the hub); only the transport differs.
Measured on the 2-core build machine (bench/webhooks_outbound.py), httpx's own
transport tops out near 1,300 requests/s and slows down as concurrency grows (about
340/s at 64 in flight), while aiohttp through httpx-aiohttp keeps up; so ``auto`` uses
aiohttp when ``aiohttp`` and ``httpx-aiohttp`` are installed.

Both check the address actually connected to: httpx's through the guarded network
backend of :mod:`hub.security.ssrf`; aiohttp's through the connector's socket factory,
which sees each resolved address (and IP literals) right before ``connect``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any, Literal

import httpx

from hub.security.ssrf import Network, check_address, guarded_transport

Http = Literal["auto", "httpx", "aiohttp"]


def aiohttp_available() -> bool:
    try:
        import aiohttp  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
        import httpx_aiohttp  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


def delivery_transport(
    allowed: Iterable[Network] = (), *, max_connections: int = 256, http: Http = "auto"
) -> httpx.AsyncBaseTransport:
    """An SSRF-guarded transport: aiohttp's when asked for (or available, with ``auto``), else httpx's."""
    networks = tuple(allowed)
    if http == "aiohttp" or (http == "auto" and aiohttp_available()):
        return guarded_aiohttp_transport(networks, max_connections=max_connections)
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    transport: httpx.AsyncBaseTransport = guarded_transport(networks, limits=limits)
    return transport


def guarded_aiohttp_transport(allowed: tuple[Network, ...], *, max_connections: int) -> httpx.AsyncBaseTransport:
    import aiohttp  # type: ignore[import-not-found,unused-ignore]  # optional: see aiohttp_available
    from httpx_aiohttp import AiohttpTransport  # type: ignore[import-not-found,unused-ignore]

    def guarded_socket(addr_info: tuple[Any, ...]) -> socket.socket:
        family, kind, proto, _, address = addr_info
        check_address(ipaddress.ip_address(str(address[0]).split("%")[0]), allowed)  # raises BlockedAddressError
        return socket.socket(family=family, type=kind, proto=proto)

    def session() -> Any:
        connector = aiohttp.TCPConnector(limit=max_connections, socket_factory=guarded_socket)
        return aiohttp.ClientSession(connector=connector, trust_env=False)

    transport: httpx.AsyncBaseTransport = AiohttpTransport(client=session)
    return transport
