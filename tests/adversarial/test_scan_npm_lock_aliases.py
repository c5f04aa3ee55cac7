"""Attack: a project depends on a known-malicious release under an alias of a harmless name,
``"mail-helper": "npm:postmark-mcp@1.0.16"``. npm installs postmark-mcp 1.0.16 into
``node_modules/mail-helper``, and its lock files record it so: package-lock's entry has
``"name": "postmark-mcp"``, yarn's header is ``mail-helper@npm:postmark-mcp@1.0.16``. The
readers took each entry by the folder or header name, ``mail-helper`` (no MCP package, not even
looked up), so ``scan --path`` reported nothing, before 2026-12-05. Now an aliased entry is the
package it installs, as launch lines' aliases are (tests/adversarial/test_launch_npm_alias.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_home import write, write_json
from mcpward.model import Category, Severity
from mcpward.scan import ScanOptions, run_scan

_ALIAS = {"name": "mailer", "version": "1.0.0", "dependencies": {"mail-helper": "npm:postmark-mcp@1.0.16"}}


def _known(project: Path) -> list[tuple[str, Severity]]:
    report = run_scan(ScanOptions(paths=(project,), include_user_configs=False))
    return [(f.rule, f.severity) for f in report.findings if f.category is Category.KNOWN_VULNERABLE]


@pytest.mark.parametrize("lock", ["package-lock.json", "yarn.lock", "berry", None])
def test_an_aliased_malicious_dependency_is_reported(tmp_path: Path, lock: str | None) -> None:
    project = tmp_path / "mailer"
    write_json(project / "package.json", _ALIAS)
    if lock == "package-lock.json":
        write_json(
            project / lock,
            {
                "lockfileVersion": 3,
                "packages": {
                    "": {"name": "mailer", "dependencies": _ALIAS["dependencies"]},
                    "node_modules/mail-helper": {"name": "postmark-mcp", "version": "1.0.16"},
                },
            },
        )
    elif lock == "berry":
        write(
            project / "yarn.lock",
            '__metadata:\n  version: 8\n"mail-helper@npm:postmark-mcp@1.0.16":\n  version: 1.0.16\n',
        )
    elif lock == "yarn.lock":
        write(
            project / lock,
            '"mail-helper@npm:postmark-mcp@1.0.16":\n  version "1.0.16"\n  resolved "x"\n',
        )
    assert _known(project) == [("known-vulnerable", Severity.CRITICAL)]
