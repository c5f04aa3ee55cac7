"""The user's extension of the official package list (``official_packages.json`` in the data
folder): a name listed there is never reported as an impersonation. Where the data folder is
shared (``MCPWARD_DATA_DIR`` on a team share), another user's file there, or one others may
write, listed ``postmark-mcp`` as a known community package and vet stopped reporting the
brand. The file is now taken only when it is the user's own (or root's) and no one else may
write it, as the refreshed advisory snapshot is."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from vet_attack_kit import npm_tarball, severities, vet_json

PLANTED = {"npm": {"known_community": ["postmark-mcp"]}}


def _vet_postmark(tmp_path: Path, data: Path) -> dict[str, object]:
    manifest = {"name": "postmark-mcp", "version": "1.0.16", "main": "index.js"}
    archive = npm_tarball(tmp_path / "postmark-mcp-1.0.16.tgz", manifest, {"index.js": "export {};\n"})
    return vet_json(str(archive), MCPWARD_DATA_DIR=str(data))


def _plant(data: Path, mode: int) -> Path:
    data.mkdir(parents=True, exist_ok=True)
    path = data / "official_packages.json"
    path.write_text(json.dumps(PLANTED))
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o666, 0o664])
def test_a_list_others_may_write_is_not_taken(tmp_path: Path, mode: int) -> None:
    _plant(tmp_path / "shared", mode)
    assert severities(_vet_postmark(tmp_path, tmp_path / "shared"), "impersonation-brand") == ["medium"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a file away")
def test_a_list_of_another_user_is_not_taken(tmp_path: Path) -> None:
    path = _plant(tmp_path / "shared", 0o644)
    os.chown(path, 65534, 65534)
    assert severities(_vet_postmark(tmp_path, tmp_path / "shared"), "impersonation-brand") == ["medium"]


def test_the_users_own_list_is_the_users_to_decide(tmp_path: Path) -> None:
    _plant(tmp_path / "mine", 0o600)
    assert not severities(_vet_postmark(tmp_path, tmp_path / "mine"), "impersonation-brand")
