"""Attack: make an approved server look used (or an unused one look used by another) in the
quarterly report. "Approved servers with no calls in the period" counted an approved entry as
used when any call's server had its name: a host that ran another package (`evil-files`), or a
local script, under the name `files` had the approved `@acme/files` counted as used and left
off the list, and a call of the approved `@acme/files` run under the name `idle` had the approved
`idle` counted as used too, until 2026-12-05 (found by an independent review, left open).

Now an approved entry is used only by what ran: a call whose record names the entry the
gateway launched it under, or names a package that the registry's approval index (as scan and
the fleet judge servers) judges as that entry's approved release. A call naming neither (a
local command, a remote server with no registry check) counts for no entry, and the report
says how many such calls there were. A real registry database and audit log, the report's own
builder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mcpward.gateway import AuditLog
from mcpward.registry import DataScope, EntryRequest, Identity, Registry, VetOutcome
from mcpward.report import audit


def _approve(
    registry: Registry, name: str, package: str, version: str = "1.2.3", ecosystem: str = "npm"
) -> int:
    entry = registry.request(
        EntryRequest(
            name=f"io.github.acme/{name}",
            identity=Identity(kind="package", ecosystem=ecosystem, name=package, version=version),
            owner="team-platform",
            scope=DataScope(reads=("project files",)),
            vet=VetOutcome(verdict="pass"),
        ),
        "alice",
    )
    registry.approve(entry.id, "bob", "ok")
    return entry.id


def _unused(tmp_path: Path, calls: list[dict[str, Any]]) -> tuple[set[str], dict[str, Any]]:
    registry = Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")
    _approve(registry, "files", "@acme/files")
    _approve(registry, "idle", "@acme/idle")
    _approve(registry, "py-tool", "Acme_Tool", "1.0", "pypi")
    log_path = tmp_path / "audit.jsonl"
    log = AuditLog(log_path)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for call in calls:
        log.append({"at": now, "stage": "request", "method": "tools/call", "tool": "read",
                    "decision": "allow", **call})  # fmt: skip
    log.close()
    document = audit.build_audit(registry, since=timedelta(days=90), audit_log=log_path)
    registry.database.dispose()
    assert document["audit_log"]["verified"] is True
    return {row["name"].rsplit("/", 1)[-1] for row in document["unused"]}, document


def test_another_package_under_an_approved_name_does_not_use_the_approved_one(tmp_path: Path) -> None:
    unused, _ = _unused(
        tmp_path,
        [{"server": "files", "package": {"ecosystem": "npm", "name": "evil-files", "version": "1.0.0"}}],
    )
    # Before: "files" was counted as used (by its name) though evil-files ran.
    assert unused == {"files", "idle", "py-tool"}


def test_the_approved_package_under_another_approved_name_uses_its_own_entry(tmp_path: Path) -> None:
    unused, _ = _unused(
        tmp_path,
        [{"server": "idle", "package": {"ecosystem": "npm", "name": "@acme/files", "version": "1.2.3"}}],
    )
    # Before: "idle" was counted as used as well (its name), though @acme/files ran.
    assert unused == {"idle", "py-tool"}


def test_a_local_command_under_an_approved_name_uses_nothing_and_is_said(tmp_path: Path) -> None:
    unused, document = _unused(tmp_path, [{"server": "files"}, {"server": "files"}])
    assert unused == {"files", "idle", "py-tool"}  # before: "files" counted as used
    assert document["calls"]["unidentified"] == 2
    assert "2 calls named neither" in audit.render_markdown(document)


def test_what_runs_is_judged_as_the_registry_judges_it(tmp_path: Path) -> None:
    # PyPI's spelling of a name is the registry's (canonical); the entry the gateway checked
    # at launch is used whatever the server is named; another version is not the approved one.
    unused, _ = _unused(
        tmp_path,
        [
            {"server": "t", "package": {"ecosystem": "pypi", "name": "acme.tool", "version": "1.0"}},
            {"server": "x", "entry": {"id": 2, "name": "io.github.acme/idle", "release": "1.2.3"}},
            {"server": "files", "package": {"ecosystem": "npm", "name": "@acme/files", "version": "1.2.4"}},
        ],
    )
    assert unused == {"files"}
