"""Plain http is trusted "to this machine only" where mcpward sends a token or takes keys or
advisories (the agent's registry, an advisories source, a JWKS or sign-in endpoint an issuer's
metadata names): nobody on the path may read or write it. Every name under ``.localhost`` was
taken for this machine, but the resolver of a Linux machine (glibc: files, then DNS) does not
know them: ``registry.localhost`` is asked of the DNS server, and whoever answers it (anyone on
the path of a plain DNS query) gets the agent's token with every report, in clear."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cli_kit import SRC, mcpward

from mcpward._http import tls_or_loopback

NAME = "registry.localhost"


def _resolves_to_loopback(name: str) -> bool:
    try:
        return all(info[4][0] in ("127.0.0.1", "::1") for info in socket.getaddrinfo(name, 80))
    except OSError:
        return False


@pytest.mark.skipif(_resolves_to_loopback(NAME), reason="this machine's resolver keeps .localhost local")
def test_the_agent_does_not_send_its_token_in_clear_to_a_name_the_dns_answers(tmp_path: Path) -> None:
    done = mcpward("agent", "install", "--registry", f"http://{NAME}:8080", "--token-file",
                   "/etc/mcpward/agent.token", "--root", str(tmp_path / "root"))  # fmt: skip
    assert done.returncode != 0 and "https" in done.stderr, done.stderr
    assert not (tmp_path / "root" / "etc" / "mcpward" / "agent.toml").exists()


def test_advisories_are_not_fetched_in_clear_from_a_localhost_name(tmp_path: Path) -> None:
    snapshot = tmp_path / "advisories.json"
    snapshot.write_text('{"vulns": []}')
    done = subprocess.run(
        [sys.executable, "-m", "mcpward", "advisories", "update", "--source",
         "http://osv.localhost/all.zip", "--output", str(snapshot)],
        capture_output=True, text=True, timeout=60, env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode != 0 and "https only" in done.stderr, done.stderr
    assert snapshot.read_text() == '{"vulns": []}'


def test_keys_and_sign_ins_are_not_taken_in_clear_from_a_localhost_name() -> None:
    assert not tls_or_loopback(f"http://{NAME}/jwks")
    assert tls_or_loopback("http://localhost:8080/jwks") and tls_or_loopback("http://127.0.0.2/jwks")
    assert tls_or_loopback("http://[::1]/jwks") and tls_or_loopback(f"https://{NAME}/jwks")
