"""An approved package whose name or version is, to the launcher enforce writes it after, a
package from somewhere else: ``npx -y NAME@VERSION`` reads the version ``npm:evil-mcp@1.0.0`` as
an alias (it installs and runs ``evil-mcp``), ``github:mallory/mcp`` as a repository,
``file:/tmp/x`` and ``https://host/x.tgz`` as archives, and ``beta`` as a moving tag;
``uvx NAME==VERSION`` reads the name ``ok@https://host/x.whl?`` as a direct URL (the
``==1.0.0`` becomes its query). The registry's check of a version is a list of what a range
looks like, so each of these was taken as "exact" and written into every client's allowlist
(Claude Code's, Codex's exact launch lines) under the approved entry's name: the reviewer
approved ``ok``, every managed machine ran another package. Before 2026-12-05 each was written;
a package name or version that is not one of its ecosystem's plain names or release versions
now stops enforce, named by entry (as a name like an option does)."""

from __future__ import annotations

from datetime import date

import pytest
from enforce_kit import approved_entry

from mcpward.enforce import EnforceError, compile_policy
from mcpward.registry import Entry


def _entry(ecosystem: str, name: str, version: str) -> Entry:
    return Entry.model_validate(
        approved_entry(7, "io.github.acme/ok", name, ecosystem=ecosystem, version=version)
    )


@pytest.mark.parametrize(
    ("ecosystem", "name", "version"),
    [
        ("npm", "ok", "npm:evil-mcp@1.0.0"),
        ("npm", "ok", "github:mallory/mcp"),
        ("npm", "ok", "file:/tmp/x"),
        ("npm", "ok", "https://evil.example/x.tgz"),
        ("npm", "ok", "beta"),
        ("npm", "ok@npm:evil-mcp", "1.0.0"),
        ("npm", "@acme/ok/../../evil", "1.0.0"),
        ("pypi", "ok@https://evil.example/x.whl?", "1.0.0"),
        ("pypi", "ok[x]@file:///tmp/evil.whl#", "1.0.0"),
    ],
)
def test_a_package_from_elsewhere_is_not_written_under_an_approval(
    ecosystem: str, name: str, version: str
) -> None:
    with pytest.raises(EnforceError, match="entry 7"):
        compile_policy([_entry(ecosystem, name, version)], date(2026, 12, 5))


@pytest.mark.parametrize(
    ("ecosystem", "name", "version", "spec"),
    [
        (
            "npm",
            "@modelcontextprotocol/server-memory",
            "2025.4.25",
            "@modelcontextprotocol/server-memory@2025.4.25",
        ),
        ("npm", "Legacy_Name.js", "1.0.0-beta.2+build.7", "Legacy_Name.js@1.0.0-beta.2+build.7"),
        ("pypi", "mcp_server.time", "1!2.0.post1", "mcp_server.time==1!2.0.post1"),
        ("pypi", "mcp-server-fetch", "2025.1.17rc1", "mcp-server-fetch==2025.1.17rc1"),
    ],
)
def test_plain_names_and_release_versions_are_written(
    ecosystem: str, name: str, version: str, spec: str
) -> None:
    policy = compile_policy([_entry(ecosystem, name, version)], date(2026, 12, 5))
    assert policy.allowed[0].command[-1] == spec
