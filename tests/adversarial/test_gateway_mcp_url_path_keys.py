"""The key a hosted MCP service puts in a client's own URL (``https://mcp.example.com/mcp/<key>``,
``/api/mcp/s/<key>/sse``, ``/<key>/mcp``) in live gateway traffic: a tool result that lists a
user's MCP endpoints, or a model told to send its configuration out in a tool call's arguments.

Before (2026-12-05): ``redact_text``, ``redact_url`` and ``scan`` masked such a key, but the DLP
engine (``dlp scan`` and the gateway's DLP) had no rule for it: the URL passed ``gateway run``
whole, both ways, with no event (SECURITY.md listed "the engine's own scan" as not covered). The
key is as good as a password to whoever reads the URL.

Now the engine reports it as the secret ``url-path-key`` (the same judgement as ``redact_url``:
an MCP endpoint's random segment followed only by transport segments), so the gateway's default
policy masks it in results and arguments like a URL's password; the host and the rest of the
path stay readable. Ordinary URLs (UUIDs, commit and blob names, documentation and version
paths, random segments of URLs that are no MCP endpoint) are not reported."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

from dlp_spelling_kit import assert_native_and_python_agree, notes_through_gateway
from linear_time import superlinear

from mcpward.dlp import assess_value, redact_text
from mcpward.dlp._engine import Engine
from mcpward.dlp.scanning import default_engine, redact_json, scan_json, scan_text


def _random(alphabet: str, length: int, seed: int) -> str:
    chooser = random.Random(seed)  # noqa: S311 - a fake key, seeded
    return "".join(chooser.choice(alphabet) for _ in range(length))


KEY = _random(string.ascii_letters + string.digits, 40, 871)
#: (a key reads as one by a run of 16 letters and digits: see SECURITY.md)
URL_SAFE_KEY = (
    _random(string.ascii_letters + string.digits, 20, 872)
    + "-"
    + _random(string.ascii_letters + "_", 22, 873)
)
ENDPOINTS = (
    (f"https://mcp.example.com/mcp/{KEY}", KEY),
    (f"https://api.example.com/api/mcp/s/{KEY}/sse", KEY),
    (f"https://actions.example.com/mcp/{URL_SAFE_KEY}/sse", URL_SAFE_KEY),
    (f"https://tools.example.com/{KEY}/mcp", KEY),
    (f"https://mcp.example.org/{KEY}?transport=sse", KEY),
)
IN_TEXT = (
    f"Your endpoint is https://mcp.example.com/mcp/{KEY}.",
    f"(see https://api.example.com/api/mcp/s/{KEY}/sse)",
    f'{{"mcpServers": {{"hosted": {{"url": "https://mcp.example.com/mcp/{KEY}"}}}}}}',
    f"endpoints: https://mcp.example.com/mcp/{KEY}, https://mcp.example.com/mcp/{URL_SAFE_KEY}",
)
CLEAN = (
    "https://mcp.example.com/mcp",
    "https://mcp.example.com/v1/mcp",
    "https://mcp.example.com/mcp/550e8400-e29b-41d4-a716-446655440000/sse",
    "https://mcp.example.com/servers/my-server-v2-production-2024/mcp",
    "https://github.com/acme/mcp/commit/4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "https://github.com/acme/mcp/blob/4b825dc642cb6eb9a060e54bf8d69288fbee4904/README.md",
    f"https://github.com/acme/mcp/tree/{KEY}/src",
    "https://modelcontextprotocol.io/specification/2025-06-18/basic/transports",
    f"https://cdn.example.com/assets/{KEY}/app.js",
    f"https://example.com/files/{KEY}",
    "https://docs.example.com/mcp/release-20240101T120000Z",
    "https://example.com/mcp/6f1ed002ab5595859014ebf0951522d9/sse-guide.html",
    "See https://mcp.example.com/mcp for details, and https://mcp.example.com/sse too.",
)


def test_the_engine_reports_an_endpoints_key() -> None:
    for url, key in ENDPOINTS:
        found = [m for m in scan_text(url) if m.kind == "secret"]
        assert [m.rule for m in found] == ["url-path-key"], url
        assert url[found[0].start : found[0].end] == key, url
    for text in IN_TEXT:
        masked = redact_json({"text": text}, scan_json({"text": text}))["text"]
        assert KEY not in masked and URL_SAFE_KEY not in masked, masked
        assert "mcp.example.com/mcp/" in masked or "api.example.com/api/mcp/s/" in masked, masked
    assert_native_and_python_agree([url for url, _ in ENDPOINTS] + list(IN_TEXT))


def test_ordinary_urls_are_not_reported() -> None:
    for url in CLEAN:
        assert [m.rule for m in scan_text(url) if m.kind == "secret"] == [], url
        assert redact_text(url) == url, url
    assert_native_and_python_agree(CLEAN)


def test_scan_reports_it_once() -> None:
    """``scan``'s own judgement of URLs (``url-path``) is not doubled by the engine's rule."""
    hits = assess_value("url", None, ENDPOINTS[1][0])
    assert [hit.kind for hit in hits] == ["url-path"], hits


def test_masked_through_gateway_run(tmp_path: Path) -> None:
    """A result listing endpoints and arguments carrying them, through ``gateway run``."""
    urls = [url for url, _ in ENDPOINTS]
    read, notes = notes_through_gateway(tmp_path, urls, urls)
    assert read.count("kept: ") == len(urls), read
    received = notes.split("backup: ", 1)[1]
    for text in (read, received):
        assert KEY not in text and URL_SAFE_KEY not in text, text
        assert "https://api.example.com/api/mcp/s/****/sse" in text, text
    events = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    kinds = {event.get("kind") or event.get("event") for event in events}
    assert "dlp-argument" in json.dumps(events) and "dlp-result" in json.dumps(events), kinds
    assert KEY not in (tmp_path / "audit.jsonl").read_text()


def test_clean_urls_pass_the_gateway_unchanged(tmp_path: Path) -> None:
    read, notes = notes_through_gateway(tmp_path, CLEAN, CLEAN)
    for url in CLEAN:
        assert url in read and url in notes, url
    assert "dlp-" not in (tmp_path / "audit.jsonl").read_text()


def test_hostile_urls_cost_linear_time() -> None:
    engines = (default_engine(), Engine(use_hyperscan=False))
    segments = "/mcp/" + "/".join(["Ab3dE5fG7hJ9kL1mN3pQ"] * 2_000)
    for single in (
        f"https://mcp.example.com{segments}",
        "https://mcp.example.com/mcp/" * 2_000,
        f"https://mcp.example.com/mcp/{KEY} " * 1_000,
        "://mcp" * 5_000,
        "ab://" * 5_000 + "mcp ",
        "https://mcp.example.com/mcp/" + "a/" * 20_000,
    ):
        for engine in engines:
            assert superlinear(engine.scan, single, single * 4) is None, single[:40]
