"""The fleet agent sends its token with every report, from every machine, every few hours: to a
registry at an ``http://`` address off this machine that is the token in clear on the network
for anyone on the path to take (and then to report as any machine). Refused at install and at
run; loopback (a tunnel, a local proxy) stays allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_kit import mcpward
from pydantic import ValidationError

from mcpward.agent import AgentConfig, AgentError


@pytest.mark.parametrize(
    "url", ["http://registry.example.internal", "http://10.0.0.5:8080", "HTTP://Registry.example"]
)
def test_a_cleartext_registry_off_this_machine_is_refused(tmp_path: Path, url: str) -> None:
    done = mcpward("agent", "install", "--registry", url, "--token-file", "/etc/mcpward/agent.token",
                    "--root", str(tmp_path / "root"))  # fmt: skip
    assert done.returncode != 0 and "https" in done.stderr, done.stderr
    assert not (tmp_path / "root" / "etc" / "mcpward" / "agent.toml").exists()
    settings = tmp_path / "agent.toml"
    settings.write_text(f'registry = "{url}"\ntoken_file = "/nonexistent"\n')
    with pytest.raises(AgentError, match="https"):
        AgentConfig.load(settings)
    done = mcpward("agent", "run", "--config", str(settings), "--no-jitter")
    assert done.returncode != 0 and "https" in done.stderr


@pytest.mark.parametrize(
    "url",
    ["https://registry.example.internal", "http://127.0.0.1:8080", "http://localhost", "http://[::1]:9"],
)
def test_https_and_loopback_are_allowed(url: str) -> None:
    assert AgentConfig(registry=url, token_file="/etc/mcpward/agent.token").registry == url


def test_the_check_can_fail() -> None:
    with pytest.raises(ValidationError):
        AgentConfig(registry="http://127.0.0.1.evil.example", token_file="/t")
