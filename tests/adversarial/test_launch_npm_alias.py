"""Attack: a launch line names a harmless package whose version is an alias of another,
``npx -y ok-mcp@npm:postmark-mcp@1.0.16``: npm installs and runs postmark-mcp 1.0.16 (a known
malicious release) under the name ok-mcp. The launch parse read the package as ``ok-mcp`` at the
"version" ``npm:postmark-mcp@1.0.16``, so scan looked the advisories of ok-mcp up and reported
no known-malicious package (an unpinned ``ok-mcp`` at most), before 2026-12-05. A version that is
itself a package spec (``npm:``, a repository, a URL, a path) is now read as what npm installs."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import scan_home
from fake_home import write_json
from mcpward.launch import parse_npm_spec, resolve_launch
from mcpward.model import Category, Ecosystem, PackageRef, Severity


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("ok-mcp@npm:postmark-mcp@1.0.16", PackageRef(ecosystem=Ecosystem.NPM, name="postmark-mcp",
                                                      version="1.0.16", pinned=True)),
        ("@acme/ok@npm:@mallory/mcp@2.0.0", PackageRef(ecosystem=Ecosystem.NPM, name="@mallory/mcp",
                                                       version="2.0.0", pinned=True)),
        ("ok-mcp@npm:postmark-mcp", PackageRef(ecosystem=Ecosystem.NPM, name="postmark-mcp")),
        ("ok-mcp@github:mallory/mcp", PackageRef(ecosystem=Ecosystem.GIT, name="github:mallory/mcp")),
        ("ok-mcp@https://mallory.example/x.tgz", PackageRef(ecosystem=Ecosystem.URL,
                                                            name="https://mallory.example/x.tgz")),
        ("ok-mcp@file:/tmp/x.tgz", PackageRef(ecosystem=Ecosystem.LOCAL, name="file:/tmp/x.tgz", pinned=True)),
    ],
)  # fmt: skip
def test_an_alias_is_read_as_what_npm_installs(spec: str, expected: PackageRef) -> None:
    assert parse_npm_spec(spec) == expected
    assert resolve_launch("npx", ("-y", spec)).package == expected


def test_an_aliased_malicious_release_is_reported(tmp_path: Path) -> None:
    servers = {"mail": {"command": "npx", "args": ["-y", "ok-mcp@npm:postmark-mcp@1.0.16"]}}
    write_json(tmp_path / "home" / ".cursor" / "mcp.json", {"mcpServers": servers})
    report = scan_home(tmp_path / "home")
    assert [(f.rule, f.severity) for f in report.findings if f.category is Category.KNOWN_VULNERABLE] == [
        ("known-vulnerable", Severity.CRITICAL)
    ]


def test_a_nested_alias_is_read_once() -> None:
    # npm refuses an alias of an alias; read once, it is a package of an unreadable version.
    spec = "a@npm:" * 5000 + "b@1.0.0"
    assert parse_npm_spec(spec).ecosystem is Ecosystem.NPM
