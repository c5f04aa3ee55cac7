"""``scan --enforcement`` parses each managed file it reads back (up to 4 MiB) to compare it
with what enforce writes. A managed file nested thousands of levels deep (200 KB of ``[`` in
``managed-settings.json``, or a TOML array as deep in Codex's ``requirements.toml``: a file no
client reads as its settings) ran Python's parsers out of stack, and the whole scan ended with an
internal error, every other finding of the machine unreported. It is drift: a file that cannot
be parsed."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_kit import mcpward
from enforce_kit import one_server_policy

from mcpward.enforce import Platform, drift, managed_files, write_tree

_DEEP = {
    "/etc/claude-code/managed-settings.json": b"[" * 200_000,
    "/etc/codex/requirements.toml": b"a = " + b"[" * 200_000,
}


@pytest.mark.parametrize("path", sorted(_DEEP))
def test_a_deeply_nested_managed_file_is_drift_not_a_crash(tmp_path: Path, path: str) -> None:
    policy = one_server_policy()
    write_tree(managed_files(policy, Platform.LINUX), tmp_path)
    assert drift(policy, Platform.LINUX, tmp_path) == []  # as written: no drift
    (tmp_path / path.lstrip("/")).write_bytes(_DEEP[path])
    found = drift(policy, Platform.LINUX, tmp_path)
    assert [f.message for f in found] == [f"the managed file {path} differs from what enforce writes "
                                          "(it cannot be parsed)"]  # fmt: skip


def test_scan_enforcement_reports_the_nested_file_and_goes_on(tmp_path: Path) -> None:
    policy = one_server_policy()
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(policy.to_json())
    tree = tmp_path / "tree"
    write_tree(managed_files(policy, Platform.LINUX), tree)
    (tree / "etc" / "claude-code" / "managed-settings.json").write_bytes(
        _DEEP["/etc/claude-code/managed-settings.json"]
    )
    home = tmp_path / "home"
    home.mkdir()
    done = mcpward("scan", "--home", str(home), "--os", "linux", "--root", str(tree),
                   "--enforcement", str(policy_file), "-f", "json")  # fmt: skip
    assert "Traceback" not in done.stderr and done.returncode != 70, done.stderr
    assert "managed-settings.json differs from what enforce writes (it cannot be parsed)" in done.stdout


def test_a_reindented_managed_file_is_still_no_drift(tmp_path: Path) -> None:
    # The clean case: parsed, not compared byte for byte.
    policy = one_server_policy()
    write_tree(managed_files(policy, Platform.LINUX), tmp_path)
    settings = tmp_path / "etc" / "claude-code" / "managed-settings.json"
    settings.write_text(settings.read_text().replace("\n  ", "\n    "))
    assert drift(policy, Platform.LINUX, tmp_path) == []
