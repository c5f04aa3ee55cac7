"""Codex's admin requirements enable a server by its name and launch line, with no control of
its tools (``enabled_tools`` is the user's setting, not a requirement). A server on probation,
whose writers no one granted yet, was written to Codex's allowlist like an approved one, every
tool of it enabled there, while Claude Code and Gemini CLI allowed only its confirmed readers,
until 2026-12-06. It is now left out of Codex until write is granted, unless it runs through
the gateway (``--wrap``), which allows only its read-only tools."""

from __future__ import annotations

import tomllib

from mcpward.enforce import Decision, Platform, Policy, PolicyServer, managed_files

FILES = ("npx", "-y", "@acme/files@1.0.0")
WRAPPED = ("mcpward", "gateway", "run", "--server", "io.github.acme/files", "--", *FILES)


def _codex_servers(*servers: PolicyServer) -> dict[str, object]:
    (file,) = managed_files(Policy(servers=servers), Platform.LINUX, ["codex"])
    listed: dict[str, object] = tomllib.loads(file.content.decode())["mcp_servers"]
    return listed


def _server(decision: Decision, *, wrapped: bool = False, key: str = "io-github-acme-files") -> PolicyServer:
    return PolicyServer(
        name="io.github.acme/files",
        key=key,
        decision=decision,
        command=WRAPPED if wrapped else FILES,
        direct_command=FILES,
        tools=("read_file", "delete_file"),
        read_only_tools=("read_file",) if decision is Decision.PROBATION else (),
        wrapped=wrapped,
    )


def test_a_server_on_probation_is_not_enabled_whole_in_codex() -> None:
    assert "io-github-acme-files" not in _codex_servers(_server(Decision.PROBATION))


def test_a_wrapped_server_on_probation_and_an_approved_one_are_enabled() -> None:
    listed = _codex_servers(
        _server(Decision.PROBATION, wrapped=True), _server(Decision.ALLOW, key="io-github-acme-notes")
    )
    assert {"io-github-acme-files", "io-github-acme-notes"} <= set(listed)
