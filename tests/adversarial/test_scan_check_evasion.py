"""A server entry written to make a check fail, so that what the check would have said is not
said. A check that raises is reported as an informational ``check-failed`` and its other
findings on the entry are lost.

Before: an entry that runs ``npx mcp-remote http://...`` with TLS checks switched off
(``NODE_TLS_REJECT_UNAUTHORIZED=0``) was two high findings; the same entry with an unused
``"url": "http://["`` (a malformed IPv6 authority; a client running the command never reads
it) made the insecure-transport check raise ValueError before either, and the scan showed one
informational line instead. Now a URL that cannot be split counts as no credentials and no
host, and the other findings are made."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import mcpward_in_home

ENTRY = {
    "type": "stdio",
    "command": "npx",
    "args": ["-y", "mcp-remote@0.1.0", "http://mcp.example.com/sse"],
    "env": {"NODE_TLS_REJECT_UNAUTHORIZED": "0"},
}


@pytest.mark.parametrize("url", [None, "http://[", "http://[::1", "https://a:b@[x]/"])
def test_a_malformed_url_does_not_hide_the_transport_findings(tmp_path: Path, url: str | None) -> None:
    entry = dict(ENTRY, url=url) if url is not None else ENTRY
    (tmp_path / ".cursor").mkdir()
    (tmp_path / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": {"s": entry}}), encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", "json", timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    rules = {f["rule"] for f in json.loads(done.stdout)["findings"]}
    assert {"http-plaintext", "tls-verification-disabled"} <= rules, rules
    assert "check-failed" not in rules, rules
