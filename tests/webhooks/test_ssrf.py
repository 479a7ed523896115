"""The SSRF guard refuses internal addresses without sending them any traffic."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from hub.security.ssrf import BlockedAddressError, check_url, guarded_transport, refusal


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.10.10", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("169.254.169.254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("0.0.0.0", "reserved"),  # noqa: S104 - an address under test, nothing binds
        ("240.0.0.1", "reserved"),
        ("224.0.0.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),
        ("64:ff9b::a00:1", "private"),
        ("2002:c0a8:0101::1", "private"),
    ],
    ids=lambda v: str(v),
)
def test_internal_addresses_are_refused(address: str, reason: str) -> None:
    found = refusal(ipaddress.ip_address(address))

    assert found is not None
    assert reason in found


@pytest.mark.parametrize("address", ["1.1.1.1", "223.5.5.5", "2400:3200::1"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def test_a_url_naming_an_internal_host_is_refused_when_saved() -> None:
    with pytest.raises(BlockedAddressError, match="loopback"):
        asyncio.run(check_url("http://localhost:8080/hook"))
    with pytest.raises(BlockedAddressError, match="metadata"):
        asyncio.run(check_url("http://169.254.169.254/latest/meta-data"))


def test_the_allow_list_lets_a_named_network_through() -> None:
    addresses = asyncio.run(check_url("http://127.0.0.1:9/hook", [ipaddress.ip_network("127.0.0.0/8")]))

    assert addresses == [ipaddress.ip_address("127.0.0.1")]


@pytest.fixture
def local_server() -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _post(url: str, allowed: list[ipaddress.IPv4Network]) -> int:
    async def go() -> int:
        async with httpx.AsyncClient(transport=guarded_transport(allowed)) as client:
            return (await client.post(url, content=b"{}")).status_code

    return asyncio.run(go())


def test_the_guarded_transport_refuses_before_connecting(local_server: int, monkeypatch: pytest.MonkeyPatch) -> None:
    connects: list[object] = []
    original = socket.create_connection
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connects.append(a) or original(*a, **k))

    with pytest.raises(BlockedAddressError):
        _post(f"http://127.0.0.1:{local_server}/hook", [])

    assert connects == []


def test_the_guarded_transport_connects_to_allowed_networks(local_server: int) -> None:
    assert _post(f"http://127.0.0.1:{local_server}/hook", [ipaddress.ip_network("127.0.0.0/8")]) == 204


def test_a_hostname_resolving_to_an_internal_address_is_refused_at_connect(local_server: int) -> None:
    with pytest.raises(BlockedAddressError, match="loopback"):
        _post(f"http://localhost:{local_server}/hook", [])
