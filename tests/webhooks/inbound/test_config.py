"""The inbound options of ``sources`` in hub.yaml: what is accepted, and what each mistake says."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.workspace import load_workspace
from hub.workspace.config import DEFAULT_MAX_BODY_BYTES


def _load(tmp_path: Path, source: str) -> object:
    (tmp_path / "hub.yaml").write_text(f"sources:\n  s:\n{source}", encoding="utf-8")
    return load_workspace(tmp_path, env={"S": "secret"}).config.sources["s"]


def test_defaults(tmp_path: Path) -> None:
    source = _load(tmp_path, "    verify: {scheme: standard-webhooks, secret: '${S}'}\n    mapping: m\n")

    assert source.max_body_bytes == DEFAULT_MAX_BODY_BYTES == 1024 * 1024  # type: ignore[attr-defined]
    assert source.dedupe is None  # type: ignore[attr-defined]
    assert source.verify.effective_tolerance == 300  # type: ignore[attr-defined]


def test_every_option(tmp_path: Path) -> None:
    source = _load(tmp_path, (
        "    verify: {scheme: hmac-sha256, secret: '${S}', header: X-Hub-Signature-256, encoding: base64, "
        "prefix: 'sha256='}\n    mapping: m\n    dedupe: $.data.items[0].id\n    max_body_bytes: 4096\n"
    ))

    verify = source.verify  # type: ignore[attr-defined]
    assert (verify.effective_header, verify.effective_encoding, verify.prefix) == (
        "X-Hub-Signature-256", "base64", "sha256=")
    assert (source.dedupe, source.max_body_bytes) == ("$.data.items[0].id", 4096)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("    verify: {scheme: api-key, secret: '${S}', encoding: hex}\n    mapping: m\n",
         "hub.yaml:3: sources.s.verify: encoding applies to the hmac-sha256 scheme(s), not api-key; remove it"),
        ("    verify: {scheme: standard-webhooks, secret: '${S}', prefix: 'v1,'}\n    mapping: m\n",
         "hub.yaml:3: sources.s.verify: prefix applies to the hmac-sha256 and api-key scheme(s)"),
        ("    verify: {scheme: hmac-sha256, secret: '${S}', tolerance: 60}\n    mapping: m\n",
         "hub.yaml:3: sources.s.verify: tolerance applies to the standard-webhooks scheme(s)"),
        ("    verify: {scheme: hmac-sha256, secret: '${S}', encoding: base32}\n    mapping: m\n",
         "hub.yaml:3: sources.s.verify.encoding: expected 'hex' or 'base64'"),
        ("    verify: {scheme: api-key, secret: '${S}', header: 'X Key'}\n    mapping: m\n",
         "hub.yaml:3: sources.s.verify.header: 'X Key' is not a valid HTTP header name"),
        ("    verify: {scheme: api-key, secret: '${S}'}\n    mapping: m\n    dedupe: $order_id\n",
         "hub.yaml:5: sources.s.dedupe: a JSON path is $ followed by .name or [index] parts"),
        ("    verify: {scheme: api-key, secret: '${S}'}\n    mapping: m\n    dedupe: order id\n",
         "hub.yaml:5: sources.s.dedupe: dedupe is a JSON path into the body ($.order_id) or a request header"),
        ("    verify: {scheme: api-key, secret: '${S}'}\n    mapping: m\n    max_body_bytes: 0\n",
         "hub.yaml:5: sources.s.max_body_bytes: must be at least 1"),
    ],
    ids=["encoding-with-api-key", "prefix-with-standard", "tolerance-with-hmac", "unknown-encoding",
         "bad-header-name", "bad-json-path", "bad-dedupe", "zero-limit"],
)
def test_mistakes_are_reported_with_their_line(tmp_path: Path, source: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _load(tmp_path, source)

    assert raised.value.message.startswith(expected), raised.value.message
