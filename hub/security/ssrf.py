"""SSRF guard: outbound requests to URLs users configure never reach internal addresses.

A hostname is resolved and *every* address checked; the connection is then made to
the checked address itself (:class:`GuardedNetworkBackend`), so a DNS answer that
changes between the check and the connect (rebinding) cannot slip through.
Refused unless ``HUB_WEBHOOK_ALLOW_NETWORKS`` names them: loopback, private, link-local,
carrier-grade NAT, multicast, reserved and unspecified ranges, cloud metadata
addresses (including Alibaba Cloud's 100.100.100.200), and IPv6 forms that embed a
refused IPv4 address (mapped, NAT64, 6to4).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpcore

from hub.errors import ForbiddenError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "100.100.100.200", "fd00:ec2::254", "169.254.170.2")
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_6TO4 = ipaddress.ip_network("2002::/16")


class BlockedAddressError(ForbiddenError):
    """The URL points at an address the hub may not call."""

    code = "blocked_address"


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` is refused, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None
        ) or (address.sixtofour if address in _6TO4 else None)
        if embedded is not None:
            reason = refusal(embedded)
            return f"{reason} (inside the IPv6 address {address})" if reason else None
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "a carrier-grade NAT address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    return None


def check_address(address: IPAddress, allowed: Sequence[Network] = ()) -> None:
    if any(address in network for network in allowed):
        return
    reason = refusal(address)
    if reason:
        raise BlockedAddressError(
            f"{address} is {reason}; outbound calls may not reach it",
            details={"address": str(address), "hint": "allow it with HUB_WEBHOOK_ALLOW_NETWORKS if it is intended"},
        )


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    seen: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in seen:
            seen.append(address)
    return seen


async def check_url(url: str, allowed: Sequence[Network] = ()) -> list[IPAddress]:
    """Resolve the URL's host and refuse it if any address is blocked (used when a subscription is saved)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedAddressError(f"{url!r} is not an http(s) URL")
    addresses = await resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    for address in addresses:
        check_address(address, allowed)
    return addresses


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks, and connects to the checked address: what is connected to is what was checked."""

    def __init__(self, allowed: Iterable[Network] = (), inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.allowed = tuple(allowed)
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve(host, port)
        for address in addresses:
            check_address(address, self.allowed)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError("outbound calls may not use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guarded_transport(allowed: Iterable[Network] = (), **kwargs: Any) -> Any:
    """An httpx transport whose every connection passes the SSRF guard."""
    import httpx

    transport = httpx.AsyncHTTPTransport(**kwargs)
    transport._pool._network_backend = GuardedNetworkBackend(allowed)  # httpx exposes no public hook for this
    return transport
