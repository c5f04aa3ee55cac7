"""A server puts the user's token in the name of a file it tries to open or write where the
sandbox refuses it (``/tmp/ghp_....json``, a folder named with it under a read-only mount): the
runner's trace (strace) reports each refused file operation to the proxy, which records it in
the host's audit log (which the gateway's sinks mirror, kept for years) and names it on the
standard error of ``mcpward sandbox run`` when the server exits.

Before (2026-12-06): the proxy masked the host of each record it wrote (``redact_text``), never
the path of a refused file operation: the token was in the audit log in clear, once per
refused name.

Now the path is masked by the DLP rules as a host is. Ordinary paths (a user's ``.npmrc``, the
cloud's credential files, package folders, content-addressed store paths, hashes) are recorded
as they were."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sandbox_proxy_kit import bridge_reported

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"

ORDINARY_PATHS = [
    "/home/user/.npmrc",
    "/home/user/.ssh/id_ed25519",
    "/root/.aws/credentials",
    "/home/user/.config/gcloud/application_default_credentials.json",
    "/usr/local/lib/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js",
    "/home/user/.cache/uv/archive-v0/Xq3bT9kLm2Np7Rs4Vw6Yz/lib/python3.12/site-packages/mcp/__init__.py",
    "/nix/store/0c4jn1s6b8x2kxhqm4hrv5j5z1k2p9ab-python3-3.12.4/bin/python3",
    "/home/user/.npm/_cacache/content-v2/sha512/9f/86/d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "/var/lib/docker/overlay2/3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e/merged",
    "/home/user/projects/api-client-v2/.env.local",
]


def _reported(tmp_path: Path, paths: list[str]) -> list[dict[str, Any]]:
    """The proxy's records of the refused writes to ``paths``, as the bridge reports them."""
    attempts = [{"operation": "write", "call": "openat", "path": path, "error": "EACCES"} for path in paths]
    return bridge_reported(tmp_path, [f"FILE {json.dumps(attempt)}" for attempt in attempts], "FILE")


def test_a_token_in_a_refused_paths_name_is_recorded_masked(tmp_path: Path) -> None:
    paths = [f"/tmp/{TOKEN}.json", f"/home/user/.cache/{TOKEN}/x", f"/etc/leak-{TOKEN}"]
    records = _reported(tmp_path, paths)
    assert len(records) == 3, records
    assert not [r for r in records if TOKEN[4:12] in json.dumps(r)], records
    assert [r["path"] for r in records] == [
        "/tmp/ghp_****.json",
        "/home/user/.cache/ghp_****/x",
        "/etc/leak-ghp_****",
    ]


def test_ordinary_refused_paths_are_recorded_as_they_were(tmp_path: Path) -> None:
    records = _reported(tmp_path, ORDINARY_PATHS)
    assert [r["path"] for r in records] == ORDINARY_PATHS
