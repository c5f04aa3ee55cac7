"""A registry URL holding a user and password (``https://user:secret@registry/``, as a proxy in
front of the registry might ask for) was taken by ``agent install`` and ``agent run``: the HTTP
library then sent that password as Basic authentication in place of the agent's token (so the
registry refused every report), and the agent printed the URL, password and all, in every line
of its log that names the registry. Such a URL is now refused at install and at run."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_kit import mcpward

from mcpward.agent import AgentConfig, AgentError


@pytest.mark.parametrize(
    "url", ["https://fleet:hunter2secret@registry.example.internal", "http://fleet:hunter2secret@127.0.0.1:9"]
)
def test_a_registry_url_with_a_password_is_refused(tmp_path: Path, url: str) -> None:
    done = mcpward("agent", "install", "--registry", url, "--token-file", "/etc/mcpward/agent.token",
                   "--root", str(tmp_path / "root"))  # fmt: skip
    assert done.returncode != 0 and "hunter2secret" not in done.stderr + done.stdout, done.stderr
    assert not (tmp_path / "root" / "etc" / "mcpward" / "agent.toml").exists()
    settings = tmp_path / "agent.toml"
    settings.write_text(f'registry = "{url}"\ntoken_file = "/nonexistent"\n')
    with pytest.raises(AgentError, match="user or password") as refused:
        AgentConfig.load(settings)
    assert "hunter2secret" not in str(refused.value)


def test_a_plain_registry_url_is_taken() -> None:
    url = "https://registry.example.internal:8443/fleet"
    assert AgentConfig(registry=url, token_file="/etc/mcpward/agent.token").registry == url
