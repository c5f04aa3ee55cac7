"""VS Code allows the MCP servers its gallery lists, and enforce points the gallery at
``--registry-url`` (``McpGalleryServiceUrl``) on every managed machine. A plain-http URL off
the machine (``http://registry.corp:8080``) was written as given, so whoever was on the path
between any machine and the registry answered its ``/v0.1`` list and had any server of theirs
allowed in every VS Code, while mcpward's own readers of the registry take its approvals over
https only, or over plain http to this machine. Such a URL is refused in one line, nothing
written; https, or plain http to the machine's own loopback, is taken."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_kit import mcpward
from enforce_kit import one_server_policy


@pytest.mark.parametrize(
    "url", ["http://registry.corp.example:8080", "http://10.1.2.3", "Http://registry.corp.example/"]
)
def test_a_plain_http_gallery_off_the_machine_is_refused(tmp_path: Path, url: str) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(one_server_policy().to_json())
    tree = tmp_path / "tree"
    done = mcpward("enforce", "--root", str(tree), "--policy", str(policy), "--registry-url", url)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "--registry-url" in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not tree.exists()


@pytest.mark.parametrize(
    "url", ["https://registry.corp.example", "http://127.0.0.1:8000", "http://localhost:8000/"]
)
def test_https_or_loopback_is_written(tmp_path: Path, url: str) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(one_server_policy().to_json())
    tree = tmp_path / "tree"
    done = mcpward("enforce", "--root", str(tree), "--policy", str(policy), "--registry-url", url)
    assert done.returncode == 0, done.stderr
    assert url in (tree / "etc" / "vscode" / "policy.json").read_text()
