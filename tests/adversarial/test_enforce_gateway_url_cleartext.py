"""``enforce --wrap --gateway-url URL`` routes every approved remote server through ``gateway
serve`` at URL, and writes into Claude Code's and Gemini CLI's files a header that sends each
user's gateway client token (``MCPWARD_GATEWAY_TOKEN``) there with every request. A plain-http
URL off the machine (``http://gateway.corp:8080``) was written as given, so every user's token
crossed the network in clear on every call, for anyone on the path to replay against the
gateway, while every other client of mcpward sends a token over https only, or over plain http
to this machine. Such a URL is refused (one line, nothing written); https, or plain http to
the machine's own loopback (a gateway on each machine), is taken."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_kit import mcpward
from enforce_kit import registry_with_a_remote


@pytest.mark.parametrize(
    "url",
    [
        "http://gateway.corp.example:8080",
        "http://10.0.0.5/",
        "HTTP://gateway.corp.example",
        "http://gw.localhost/",
    ],
)
def test_a_plain_http_gateway_url_off_the_machine_is_refused(tmp_path: Path, url: str) -> None:
    database = registry_with_a_remote(tmp_path)
    tree = tmp_path / "tree"
    done = mcpward("enforce", "--root", str(tree), "--registry", database, "--wrap", "--gateway-url", url)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "gateway" in done.stderr and "https" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tree / "etc" / "claude-code" / "managed-mcp.json").exists()


@pytest.mark.parametrize(
    "url",
    ["https://gateway.corp.example", "http://127.0.0.1:8765", "http://localhost:8765/", "http://[::1]:8765"],
)
def test_https_or_the_machines_own_loopback_is_taken(tmp_path: Path, url: str) -> None:
    database = registry_with_a_remote(tmp_path)
    tree = tmp_path / "tree"
    done = mcpward("enforce", "--root", str(tree), "--registry", database, "--wrap", "--gateway-url", url)
    assert done.returncode == 0, done.stderr
    managed = (tree / "etc" / "claude-code" / "managed-mcp.json").read_text()
    assert "/servers/io-github-acme-search/mcp" in managed and "MCPWARD_GATEWAY_TOKEN" in managed
