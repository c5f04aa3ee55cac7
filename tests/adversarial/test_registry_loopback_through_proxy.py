"""Attack: plain http is trusted for a registry on this machine (a tunnel's end on loopback), and
the token goes there in clear. But the registry client took the HTTP proxy from the environment
(``HTTP_PROXY``, ``http_proxy``, set in a company's shells and in a service's drop-in), and
nothing told it that loopback is not the proxy's: the fleet agent's report and
``scan --report-to``'s went to the proxy, the token in its ``Authorization`` header in clear
over the network, and ``scan --registry`` took the proxy's answer for the registry's approvals,
until 2026-12-05. The proxy here is a loopback server standing for the one on the network.

Now a plain-http registry, which is this machine's or refused, is reached directly, never
through a proxy; an https registry still goes through the environment's proxy (a tunnel that
carries TLS end to end)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from loopback import handler_serving
from mcpward.agent import AgentConfig, run
from mcpward.registry import RegistryError, RegistryUnavailable, _remote

SEEN: list[tuple[str, str]] = []


class _Proxy(BaseHTTPRequestHandler):
    """A forward proxy that keeps what it is sent and answers as a registry that approves."""

    def _answer(self) -> None:
        SEEN.append((self.path, self.headers.get("Authorization", "")))
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = json.dumps({"entries": [], "stored": 0}).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def proxied(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    SEEN.clear()
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with handler_serving(_Proxy) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("http_proxy", proxy)
        yield proxy


def _registry_away() -> str:
    from loopback import free_port

    return f"http://127.0.0.1:{free_port()}"


def test_a_report_to_a_loopback_registry_never_goes_to_the_proxy(proxied: str) -> None:
    token = "mcpw_" + "s" * 40
    upload = _remote.inventory([], "/home/alice", "m" * 64)
    with pytest.raises(RegistryUnavailable):  # the registry itself, which is away
        _remote.report_inventory(_registry_away(), upload, token=token)
    assert not SEEN, SEEN  # was the report, with `Bearer <token>`, sent to the proxy


def test_a_loopback_registrys_entries_are_never_the_proxys(proxied: str) -> None:
    with pytest.raises(RegistryError):
        _remote.fetch_entries(_registry_away())
    assert not SEEN, SEEN  # was the proxy's empty list, taken for the registry's


def test_the_agent_sends_its_token_to_no_proxy(proxied: str, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("mcpw_" + "t" * 40 + "\n")
    token.chmod(0o600)
    (tmp_path / "homes" / "alice").mkdir(parents=True)
    config = AgentConfig(registry=_registry_away(), token_file=str(token), spool=str(tmp_path / "spool"),
                         homes_under=(str(tmp_path / "homes"),))  # fmt: skip
    outcome = run(config, jitter=False)
    assert not SEEN, SEEN
    assert [Path(home).name for home in outcome.spooled] == ["alice"]  # kept for the registry itself


def test_a_download_from_this_machine_never_goes_to_the_proxy(proxied: str) -> None:
    """Advisory sources and vet's downloads (``mcpward._http.download``) the same way: an
    answer from the proxy was taken for the source's."""
    from mcpward._http import DownloadError, download

    with pytest.raises(DownloadError):
        download(f"{_registry_away()}/advisories.json", 1 << 20)
    assert not SEEN, SEEN


def test_every_http_client_reaches_plain_http_directly() -> None:
    """Each client mcpward makes (the gateway's remote servers, issuers' key sets, introspection
    and token exchange, the registry's sign-in, downloads, the registry client) passes
    ``mounts=DIRECT_PLAIN_HTTP``, or takes nothing from the environment (``trust_env=False``)."""
    import ast

    import mcpward

    root = Path(mcpward.__file__).parent
    clients: list[str] = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in ("Client", "AsyncClient") or ast.unparse(node.func.value) != "httpx":
                continue
            given = {keyword.arg: ast.unparse(keyword.value) for keyword in node.keywords}
            where = f"{path.relative_to(root)}:{node.lineno}"
            clients.append(where)
            assert given.get("mounts") == "DIRECT_PLAIN_HTTP" or given.get("trust_env") == "False", where
    assert len(clients) >= 8, clients  # the walk found them
