"""Registry values that the clients would fill in from each user's environment: Claude Code
expands ``${VAR}`` (and ``${VAR:-default}``) in a server's command, arguments and URL, Gemini
CLI ``$VAR`` and ``${VAR}`` in every string of its settings. An approved remote at
``https://host/mcp?k=${GITHUB_TOKEN}`` received every user's token, and a version
``${NPM_TOKEN}`` (an "exact" version to the registry) put the token on ``npx``'s command line,
which every local user can read, and into the package registry's logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import decided, mcpward

from mcpward.enforce import Decision, EnforceError, Policy, PolicyServer, read_policy
from mcpward.registry import Identity, Registry


@pytest.mark.parametrize(
    "identity",
    [
        Identity(kind="remote", url="https://mcp.example.com/mcp?k=${GITHUB_TOKEN}"),
        Identity(kind="remote", url="https://mcp.example.com/$AWS_SECRET_ACCESS_KEY/mcp"),
        Identity(kind="package", ecosystem="npm", name="@acme/files", version="${NPM_TOKEN}"),
    ],
    ids=["claude-code-url", "gemini-url", "npm-version"],
)
def test_a_value_the_clients_would_expand_is_not_written(tmp_path: Path, identity: Identity) -> None:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    try:
        entry_id = decided(registry, "io.github.acme/files", identity, checked=False)
    finally:
        registry.database.dispose()
    done = mcpward("enforce", "--root", str(tmp_path / "tree"), "--registry", database)
    assert done.returncode != 0, "written: " + "".join(
        p.read_text() for p in (tmp_path / "tree").rglob("*") if p.is_file()
    )
    # A version is refused sooner, as no release (test_enforce_package_specs.py).
    assert f"entry {entry_id}" in done.stderr
    assert "environment" in done.stderr or "not a plain name at a release version" in done.stderr
    assert not (tmp_path / "tree" / "etc").exists()


def test_a_policy_file_with_such_a_value_is_refused_but_a_denial_may_hold_one(tmp_path: Path) -> None:
    allowed = PolicyServer.model_construct(
        name="io.github.acme/files", key="files", decision=Decision.ALLOW, url="https://h/${HOME}",
        direct_url="https://h/${HOME}", command=(), direct_command=(), tools=(), read_only_tools=(), wrapped=False,
        entry_id=None,
    )  # fmt: skip
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"format": 1, "servers": [allowed.model_dump(mode="json")]}))
    with pytest.raises(EnforceError, match="environment"):
        read_policy(path)
    # A denial is matched, never started or reached: Claude Code's deny list takes it as written.
    denied = PolicyServer(
        name="io.github.acme/bad",
        key="bad",
        decision=Decision.DENY,
        url="https://h/${HOME}",
        direct_url="https://h/${HOME}",
    )
    assert Policy(servers=(denied,)).denied == (denied,)
