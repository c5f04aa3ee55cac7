"""``scan --enforcement`` compares a machine's managed JSON files parsed, so a re-indented file
is not drift. Python's JSON reader also takes bytes in UTF-16 or UTF-32, or with a UTF-8 byte
order mark (what Windows PowerShell 5's ``Set-Content -Encoding UTF8`` writes), none of which a
client's ``JSON.parse`` of the UTF-8 text reads: a managed file the client cannot read passed
as "no drift". And a policy holding a lone surrogate (``\\ud800`` in a hostile registry's
answer) was taken, then failed half-way through writing an MDM bundle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import mcpward
from enforce_kit import one_server_policy

from mcpward.enforce import (
    EnforceError,
    Platform,
    drift,
    managed_files,
    read_policy,
)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_a_managed_file_in_another_encoding_is_drift(tmp_path: Path, encoding: str) -> None:
    policy = one_server_policy()
    for file in managed_files(policy, Platform.LINUX, ["claude-code"]):
        target = tmp_path / file.path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.content)
    assert drift(policy, Platform.LINUX, tmp_path, ["claude-code"]) == []  # as written: no drift
    managed = tmp_path / "etc" / "claude-code" / "managed-settings.json"
    managed.write_bytes(managed.read_text(encoding="utf-8").encode(encoding))
    found = drift(policy, Platform.LINUX, tmp_path, ["claude-code"])
    assert [f.config_path for f in found] == [str(managed)], found


def test_a_policy_with_a_lone_surrogate_is_refused(tmp_path: Path) -> None:
    document = json.loads(one_server_policy().to_json())
    document["servers"][0]["command"][2] = "@acme/files@1.0.0\ud800"
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document))  # ensure_ascii: the surrogate travels as \ud800
    with pytest.raises(EnforceError):
        read_policy(path)
    done = mcpward("enforce", "--root", str(tmp_path / "mdm"), "--policy", str(path), "--format", "mdm")
    assert done.returncode != 0 and "internal error" not in done.stderr
    assert not (tmp_path / "mdm").exists() or not any(p.is_file() for p in (tmp_path / "mdm").rglob("*"))
